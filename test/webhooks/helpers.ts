// Shared by the webhook tests: the GraphQL documents and the fast delivery timing.

export const CREATE_WEBHOOK = `mutation C($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id appId url events status } } }`
export const DELIVERIES = `query D($webhookId: ID, $status: WebhookDeliveryStatus) { webhookDeliveries(webhookId: $webhookId, status: $status, first: 500) { id eventId eventType status attempts lastResponseCode lastError lastResponseBody } }`

/** Fast delivery timing for tests: poll and sweep every 20 ms, retries within tens of ms. */
export const FAST = {
  SCOPEWARD_WEBHOOK_ALLOW_HTTP: 'true',
  SCOPEWARD_WEBHOOK_POLL: '20',
  SCOPEWARD_WEBHOOK_SWEEP: '20',
  SCOPEWARD_WEBHOOK_RETRY_SCHEDULE: ['0', ...Array.from({ length: 40 }, () => '30')].join(','),
}
