import { createWebhook, deleteWebhook, listWebhookDeliveries, listWebhooks, retryWebhookDelivery, rotateWebhookSecret, updateWebhook } from '../domain/webhooks.js'
import type { WebhookEventType } from '../domain/model.js'
import { isoTimeOrNull as iso } from '../iso-time.js'
import { actorOf, callOf } from './context.js'
import type { Resolvers, WebhookEventType as EventEnum } from './types.generated.js'

/** `token.issued` ↔ `TOKEN_ISSUED`. */
const toEnum = (type: WebhookEventType): EventEnum => type.toUpperCase().replace('.', '_') as EventEnum
const fromEnum = (value: EventEnum): string => value.toLowerCase().replace('_', '.')

/** Resolvers of schema/webhooks.graphql: thin, each one domain call (domain/webhooks.ts). */
export const webhookResolvers: Resolvers = {
  Query: {
    webhooks: (_p, args, ctx) => listWebhooks(ctx.domain, actorOf(ctx), { appId: args.appId }),
    webhookDeliveries: (_p, args, ctx) => listWebhookDeliveries(ctx.domain, actorOf(ctx), args),
  },
  Mutation: {
    createWebhook: (_p, { input }, ctx) => createWebhook(ctx.domain, callOf(ctx), { url: input.url, events: input.events.map(fromEnum), appId: input.appId }),
    updateWebhook: (_p, { id, input }, ctx) => updateWebhook(ctx.domain, callOf(ctx), id, { url: input.url, events: input.events?.map(fromEnum) ?? null, enabled: input.enabled }),
    deleteWebhook: (_p, { id }, ctx) => deleteWebhook(ctx.domain, callOf(ctx), id),
    rotateWebhookSecret: (_p, { id }, ctx) => rotateWebhookSecret(ctx.domain, callOf(ctx), id),
    retryWebhookDelivery: (_p, { id }, ctx) => retryWebhookDelivery(ctx.domain, callOf(ctx), id),
  },
  Webhook: {
    events: (w) => w.events.map(toEnum),
    createdAt: (w) => iso(w.createdAt) as string,
    updatedAt: (w) => iso(w.updatedAt) as string,
    failingSince: (w) => iso(w.failingSince),
    disabledAt: (w) => iso(w.disabledAt),
  },
  WebhookDelivery: {
    eventType: (d) => toEnum(d.eventType),
    nextAttemptAt: (d) => (d.status === 'PENDING' ? iso(d.nextAttemptAt) : null),
    lastAttemptAt: (d) => iso(d.lastAttemptAt),
    lastResponseCode: (d) => d.lastStatusCode,
    deliveredAt: (d) => iso(d.deliveredAt),
    createdAt: (d) => iso(d.createdAt) as string,
  },
}
