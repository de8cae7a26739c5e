// The expiry sweeper (docs/webhooks.md): token.expiring and token.expired are not caused by a write,
// so a periodic sweep finds them and records each in the webhook outbox once: the announcement key
// (`expiring:<token>:<threshold ms>`, `expired:<token>`) is inserted with the event in one
// transaction, and a key recorded before (by this instance, an earlier run, or another instance)
// is skipped. A token within several thresholds at once gets only the nearest one's warning.

import type { Domain } from '../domain/context.js'
import type { TokenFilter, TokenRecord, WebhookEventInput } from '../domain/model.js'
import type { Logger } from '../logger.js'
import { randomUUID } from 'node:crypto'
import type { WebhookConfig } from './settings.js'

const PAGE = 500

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
        .catch((err: unknown) => this.#logger.error({ err }, 'webhook expiry sweep failed'))
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

  /** One sweep; returns how many events it recorded now. */
  async sweep(): Promise<number> {
    const { store, clock } = this.#domain
    const now = clock()
    const listening = (await store.listWebhooks({})).filter((w) => w.status === 'ACTIVE' && (w.events.includes('token.expiring') || w.events.includes('token.expired')))
    if (listening.length === 0) return 0
    // Nothing before the oldest interested webhook existed is announced: a new webhook does not receive the past.
    const since = Math.min(...listening.map((w) => w.createdAt))
    const thresholds = this.#config.expiryWarnings
    const farthest = Math.max(...thresholds)
    const events: { announcement: string; event: WebhookEventInput }[] = []
    const event = (type: WebhookEventInput['type'], token: TokenRecord, data: Record<string, unknown>): WebhookEventInput => ({
      id: `evt_${randomUUID()}`,
      type,
      at: now,
      subject: token.id,
      data,
    })
    for await (const token of this.#tokens({ status: 'ACTIVE', now, expiresAfter: now, expiresBefore: now + farthest })) {
      const left = (token.expiresAt as number) - now
      const nearest = Math.min(...thresholds.filter((th) => left <= th))
      events.push({
        announcement: `expiring:${token.id}:${nearest}`,
        event: event('token.expiring', token, { expiresIn: `PT${Math.round(left / 1000)}S`, threshold: `PT${nearest / 1000}S` }),
      })
    }
    for await (const token of this.#tokens({ now, expiresAfter: since, expiresBefore: now })) {
      if (token.revokedAt !== null) continue
      events.push({ announcement: `expired:${token.id}`, event: event('token.expired', token, {}) })
    }
    return store.announceWebhookEvents(events)
  }

  async *#tokens(filter: TokenFilter): AsyncGenerator<TokenRecord> {
    let after: { createdAt: number; id: string } | undefined
    for (;;) {
      const page = await this.#domain.store.listTokens(filter, { after, limit: PAGE })
      yield* page.rows
      const last = page.rows.at(-1)
      if (!page.hasNextPage || !last) return
      after = { createdAt: last.createdAt, id: last.id }
    }
  }
}
