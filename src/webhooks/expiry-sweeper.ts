// The expiry sweeper (docs/webhooks.md, docs/subscriptions.md): token.expiring and token.expired are
// not caused by a write, so a periodic sweep finds them and records each once as a write of its own:
// the announcement key (`expiring:<token>:<threshold ms>`, `expired:<token>`), the audit event
// (`token.expiring`, `token.expired`: what subscriptions read) and, while a webhook is ACTIVE, the
// webhook event, in one transaction. A key recorded before (by this instance, an earlier run, or
// another instance) is skipped. A token within several thresholds at once gets only the nearest
// one's warning. It runs whether or not a webhook listens: subscribers hear the same events.

import { deleteInBatches } from '../domain/delete-in-batches.js'
import { operatorCall } from '../domain/actor.js'
import { auditEvent, type Domain } from '../domain/context.js'
import type { ExpiryAnnouncement, TokenFilter, TokenRecord } from '../domain/model.js'
import type { Logger } from '../logger.js'
import type { WebhookConfig } from './settings.js'

const PAGE = 500
/** Meta key: the clock of the last finished sweep. Expiries before it were announced; the first sweep announces none of the past. */
export const SWEPT_UNTIL = 'expiry_swept_until'
/** How far before the last sweep's end expiries are looked at again (the keys dedupe): instances' clocks differ a little. */
export const OVERLAP_MS = 5 * 60_000

// Retention (docs/webhooks.md "Retention"), on the sweeper's timer after each sweep, on every
// instance: DELIVERED and FAILED deliveries older than SCOPEWARD_WEBHOOK_RETENTION (never a PENDING
// one) and the announcement keys that can no longer prevent a second announcement are deleted.
// Bookkeeping: no audit event per row, one info line per run that removed anything. Each statement
// deletes one bounded batch in its own short transaction and a run makes a few, so a backlog is
// worked off over several runs without holding the write lock long; on PostgreSQL several instances
// may run it at once (store/webhook-retention-sql.ts).
//
// Which keys may go. `sweep` announces `expiring:<token>:<ms>` only for an ACTIVE token whose expiry
// is still ahead, and `expired:<token>` only for an unrevoked token whose expiry is after min(mark,
// now) − OVERLAP_MS, the mark being meta `expiry_swept_until`. The mark moves forward (a
// sweep writes its time only over an earlier mark it read; two racing sweeps can set it back by about
// a sweep's length), and a token's expiry never moves later (a rotation only shortens an active
// token's). So a token whose expiry lies before both mark − OVERLAP_MS and now − retention is never
// listed again, and none of its keys can matter; nor can the keys of a token that no longer exists.
// Only those keys are deleted (store/webhook-retention-sql.ts checks the token in the statement);
// the retention, at least an hour, is a margin besides, for a clock behind and a stalled sweep. A
// revoked token with its expiry still ahead keeps its keys until that expiry passes the rule: the
// sweeper would not announce it, but the rule stays one condition. Keys are recorded at most the
// largest warning threshold before their token's expiry, so only keys older than now − retention −
// that threshold are read: nearly all of them can go, and a run does not re-read many that stay.
// Without a mark (no sweep has finished) no key is deleted.

/** The instants of the rule at `now`: deliveries finished before `before`; keys recorded before `recordedBefore` whose token expired before `expiredBefore`. */
export function retentionCutoffs(
  now: number,
  config: Pick<WebhookConfig, 'retentionMs' | 'expiryWarnings'>,
  sweptUntil: number | null,
): { before: number; keys: { recordedBefore: number; expiredBefore: number } | null } {
  const before = now - config.retentionMs
  if (sweptUntil === null) return { before, keys: null }
  return { before, keys: { recordedBefore: before - Math.max(...config.expiryWarnings), expiredBefore: Math.min(before, sweptUntil - OVERLAP_MS) } }
}

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
        // Retention (above the class) on the same timer, after the sweep: it reads the mark the sweep has just moved.
        .then(() => this.retain())
        .catch((err: unknown) => this.#logger.error({ err }, 'webhook retention failed'))
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

  /** One retention run (the rule is above the class); returns how many deliveries and announcement keys it deleted. */
  async retain(): Promise<{ deliveries: number; announcements: number }> {
    const { store, clock } = this.#domain
    const swept = await store.getMeta(SWEPT_UNTIL)
    const { before, keys } = retentionCutoffs(clock(), this.#config, swept === null ? null : Number(swept))
    // A run removes at most 5,000 deliveries and 5,000 keys (delete-in-batches.ts).
    const deliveries = await deleteInBatches((limit) => store.deleteOldWebhookDeliveries(before, limit))
    const announcements = keys === null ? 0 : await deleteInBatches((limit) => store.deleteSpentAnnouncements({ ...keys, limit }))
    if (deliveries + announcements > 0) this.#logger.info({ deliveries, announcements, before }, 'webhook retention removed old deliveries and announcement keys')
    return { deliveries, announcements }
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
