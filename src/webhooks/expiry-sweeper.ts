// The expiry sweeper (docs/webhooks.md, docs/subscriptions.md): token.expiring and token.expired are
// not caused by a write, so a periodic sweep finds them and records each once as a write of its own:
// the announcement key (`expiring:<token>:<threshold ms>`, `expired:<token>`), the audit event
// (`token.expiring`, `token.expired`: what subscriptions read) and, while a webhook is ACTIVE, the
// webhook event, in one transaction. A key recorded before (by this instance, an earlier run, or
// another instance) is skipped. A token within several thresholds at once gets only the nearest
// one's warning. It runs whether or not a webhook listens: subscribers hear the same events.

import { operatorCall } from '../domain/actor.js'
import { auditEvent, type Domain } from '../domain/context.js'
import type { ExpiryAnnouncement, TokenFilter, TokenRecord } from '../domain/model.js'
import type { Logger } from '../logger.js'
import type { WebhookConfig } from './settings.js'

const PAGE = 500
/** Meta key: the clock of the last finished sweep. Expiries before it were announced; the first sweep announces none of the past. */
export const SWEPT_UNTIL = 'expiry_swept_until'
/** How far before the last sweep's end expiries are looked at again (the keys dedupe): instances' clocks differ a little. */
const OVERLAP_MS = 5 * 60_000

export class ExpirySweeper {
  readonly #domain: Domain
  readonly #config: WebhookConfig
  readonly #logger: Logger
  #timer: NodeJS.Timeout | null = null
  #running: Promise<unknown> | null = null

  constructor(domain: Domain, config: WebhookConfig, logger: Logger) {
    this.#domain = domain
    this.#config = config
    this.#logger = logger
  }

  start(): void {
    const tick = (): void => {
      this.#running = this.sweep()
        .catch((err: unknown) => this.#logger.error({ err }, 'expiry sweep failed'))
        .finally(() => {
          this.#running = null
        })
    }
    tick()
    this.#timer = setInterval(() => {
      if (!this.#running) tick()
    }, this.#config.sweepMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.#running
  }

  /** One sweep; returns how many announcements it recorded now. */
  async sweep(): Promise<number> {
    const { store, clock } = this.#domain
    const now = clock()
    const swept = await store.getMeta(SWEPT_UNTIL)
    // Nothing that expired before the first sweep of this database is announced: a new server does not announce the past.
    const since = swept === null ? now : Math.min(Number(swept), now) - OVERLAP_MS
    const thresholds = this.#config.expiryWarnings
    const farthest = Math.max(...thresholds)
    let recorded = 0
    // ACTIVE as a token's status reads it: under the instance's lifetime policy too (what it ended is not "expiring").
    const maxLifetimeMs = this.#domain.policies.maxTokenLifetimeMs ?? undefined
    for await (const page of this.#pages({ status: 'ACTIVE', now, maxLifetimeMs, expiresAfter: now, expiresBefore: now + farthest })) {
      recorded += await this.#announce(
        page.map((token) => {
          const left = (token.expiresAt as number) - now
          const nearest = Math.min(...thresholds.filter((th) => left <= th))
          return { key: `expiring:${token.id}:${nearest}`, type: 'token.expiring', token, data: { expiresIn: `PT${Math.round(left / 1000)}S`, threshold: `PT${nearest / 1000}S` } }
        }),
      )
    }
    for await (const page of this.#pages({ now, expiresAfter: since, expiresBefore: now })) {
      recorded += await this.#announce(page.filter((token) => token.revokedAt === null).map((token) => ({ key: `expired:${token.id}`, type: 'token.expired', token, data: {} })))
    }
    if (swept === null || Number(swept) < now) await store.setMeta(SWEPT_UNTIL, String(now))
    return recorded
  }

  /** Records the announcements whose keys are new, each its own write (the key is checked again under the write lock). */
  async #announce(candidates: (Omit<ExpiryAnnouncement, 'tokenId'> & { token: TokenRecord })[]): Promise<number> {
    if (candidates.length === 0) return 0
    const known = await this.#domain.store.listAnnounced(candidates.map((c) => c.key))
    let recorded = 0
    for (const { token, ...c } of candidates) {
      if (known.has(c.key)) continue
      const details = { expiresAt: token.expiresAt, ...(c.type === 'token.expiring' ? { threshold: c.data.threshold } : {}) }
      const audit = auditEvent(this.#domain, operatorCall(), { action: c.type, target: token.id, appId: token.appId, details })
      if (await this.#domain.store.announceExpiry({ ...c, tokenId: token.id }, audit)) recorded++
    }
    return recorded
  }

  async *#pages(filter: TokenFilter): AsyncGenerator<TokenRecord[]> {
    let after: { createdAt: number; id: string } | undefined
    for (;;) {
      const page = await this.#domain.store.listTokens(filter, { after, limit: PAGE })
      yield page.rows
      const last = page.rows.at(-1)
      if (!page.hasNextPage || !last) return
      after = { createdAt: last.createdAt, id: last.id }
    }
  }
}
