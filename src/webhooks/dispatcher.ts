// The delivery worker of one instance (docs/webhooks.md). Each round: fan pending webhook events out
// to deliveries, claim the due deliveries (leased to this instance; on PostgreSQL FOR UPDATE SKIP
// LOCKED, so each is attempted by one instance at a time), send each signed, record the round's outcomes
// (one transaction) with each next attempt (the retry schedule plus jitter), and disable a webhook that has failed for too
// long. A round starts when a local write commits (the outbox), when the last round found work, and
// every `pollMs` (other instances' writes, retries coming due). Deliveries are rows: a process killed
// mid-delivery leaves a lease that lapses, and the delivery is attempted again.

import { operatorCall } from '../domain/actor.js'
import { auditEvent, type Domain } from '../domain/context.js'
import type { ClaimedDelivery, DeliveryOutcome } from '../domain/model.js'
import type { Logger } from '../logger.js'
import { openWebhookSecret } from '../tokens/webhook-secret.js'
import { sendWebhook, type SendResult } from './send.js'
import type { WebhookConfig } from './settings.js'
import { webhookHeaders } from './sign.js'

const BATCH = 50
const FAN_OUT_BATCH = 500
/** The least time between two rounds that writes (not work found) started. */
const MIN_ROUND_GAP_MS = 20

/** The delay before the next attempt after `attempts` attempts, with up to 10% jitter; null: no attempt left. */
export function nextDelay(schedule: readonly number[], attempts: number, random: () => number = Math.random): number | null {
  const base = schedule[attempts]
  if (base === undefined) return null
  return Math.round(base * (1 + 0.1 * random()))
}

export class WebhookDispatcher {
  readonly #domain: Domain
  readonly #config: WebhookConfig
  readonly #logger: Logger
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #again = false
  #stopped = true
  #lastRoundEnd = 0

  constructor(domain: Domain, config: WebhookConfig, logger: Logger) {
    this.#domain = domain
    this.#config = config
    this.#logger = logger
  }

  start(): void {
    this.#stopped = false
    this.#domain.store.outbox.subscribe(() => this.#committed())
    this.wake()
  }

  /** Stops starting rounds and waits for the one under way (its attempts end within the timeout). */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    await this.#running
  }

  /**
   * A local write committed: a round soon. Under a burst of writes rounds are at least
   * MIN_ROUND_GAP_MS apart, so the worker's own transactions stay few beside the writes.
   */
  #committed(): void {
    if (this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    const wait = this.#lastRoundEnd + MIN_ROUND_GAP_MS - Date.now()
    if (wait <= 0) return this.wake()
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.wake(), wait)
    this.#timer.unref()
  }

  /** Starts a round now, or right after the one under way. */
  wake(): void {
    if (this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#running = this.#round()
      .catch((err: unknown) => this.#logger.error({ err }, 'webhook delivery round failed'))
      .then((busy) => {
        this.#running = null
        this.#lastRoundEnd = Date.now()
        if (this.#stopped) return
        if (busy === true || this.#again) {
          this.#again = false
          this.#timer = setTimeout(() => this.wake(), busy === true ? 0 : MIN_ROUND_GAP_MS)
          this.#timer.unref()
        } else {
          this.#timer = setTimeout(() => this.wake(), this.#config.pollMs)
          this.#timer.unref()
        }
      })
  }

  /** One round; true when it found work (another round follows at once). */
  async #round(): Promise<boolean> {
    const { store, clock } = this.#domain
    const fanned = await store.fanOutWebhookEvents(clock(), FAN_OUT_BATCH)
    const now = clock()
    const claims = await store.claimWebhookDeliveries(now, now + this.#config.leaseMs, BATCH)
    if (claims.length === 0) return fanned > 0
    const outcomes = await Promise.all(claims.map(async (claim) => ({ claim, outcome: await this.#attempt(claim) })))
    // One transaction for the round's outcomes: a commit per round, not per delivery.
    const recorded = await store.completeWebhookDeliveries(outcomes)
    for (const [i, { claim, outcome }] of outcomes.entries()) {
      const { delivery, webhook } = claim
      if (!recorded[i]) {
        this.#logger.warn({ delivery: delivery.id, webhook: webhook.id }, 'webhook delivery lease lapsed before its outcome was recorded; it will be attempted again')
        continue
      }
      if (outcome.ok) continue
      this.#logger.info(
        { delivery: delivery.id, webhook: webhook.id, attempts: delivery.attempts, error: outcome.error, retryAt: outcome.retryAt },
        'webhook delivery attempt failed',
      )
      await this.#disableIfFailingTooLong(webhook.id, outcome.at)
    }
    return true
  }

  /** Sends one claimed delivery; its outcome, with the next attempt's time when it failed. */
  async #attempt(claim: ClaimedDelivery): Promise<DeliveryOutcome> {
    const { clock } = this.#domain
    const { delivery, webhook } = claim
    let result: SendResult
    try {
      const secret = await openWebhookSecret(webhook.secret, webhook.id, this.#domain.webhooks.masterKey)
      result = await sendWebhook(webhook.url, delivery.payload, webhookHeaders(secret, delivery.eventId, clock(), delivery.payload), {
        timeoutMs: this.#config.timeoutMs,
        allowPrivate: this.#config.allowPrivate,
      })
    } catch (error) {
      result = { ok: false, statusCode: null, error: (error as Error).message, body: null }
    }
    const at = clock()
    const delay = result.ok ? null : nextDelay(this.#config.retrySchedule, delivery.attempts)
    return { at, ok: result.ok, statusCode: result.statusCode, error: result.error, responseBody: result.body, retryAt: delay === null ? null : at + delay }
  }

  async #disableIfFailingTooLong(id: string, now: number): Promise<void> {
    const webhook = await this.#domain.store.getWebhook(id)
    if (!webhook || webhook.status !== 'ACTIVE' || webhook.failingSince === null || now - webhook.failingSince < this.#config.disableAfterMs) return
    const reason = `every delivery failed since ${new Date(webhook.failingSince).toISOString()}`
    const call = operatorCall()
    const disabled = await this.#domain.store.updateWebhook(
      id,
      { status: 'DISABLED', disabledAt: now, disabledReason: reason, updatedAt: now },
      auditEvent(this.#domain, call, { action: 'webhook.disable', target: id, appId: webhook.appId, details: { reason } }),
      undefined,
      // Several failed attempts (of this instance or another) may decide at once: only the first disables and audits.
      'ACTIVE',
    )
    if (disabled) this.#logger.warn({ webhook: id, url: webhook.url, failingSince: webhook.failingSince }, `webhook disabled: ${reason}`)
  }
}
