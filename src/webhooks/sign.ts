// The Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`,
// keyed by the base64-decoded part of the secret after `whsec_`.

import { createHmac } from 'node:crypto'
import { webhookKeyOf } from '../tokens/webhook-secret.js'

export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', webhookKeyOf(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`
}

/** The headers of one attempt: the id stays the same on every retry (receivers deduplicate on it); the timestamp is the attempt's. */
export function webhookHeaders(secret: string, id: string, nowMs: number, body: string): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000)
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': webhookSignature(secret, id, timestamp, body) }
}
