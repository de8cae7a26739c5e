import { Command } from 'commander'
import { resolveApp } from '../../domain/resolve-app.js'
import type { WebhookDeliveryRecord, WebhookRecord } from '../../domain/model.js'
import { WEBHOOK_EVENT_TYPES } from '../../domain/model.js'
import { createWebhook, deleteWebhook, listWebhookDeliveries, listWebhooks, retryWebhookDelivery, rotateWebhookSecret, updateWebhook } from '../../domain/webhooks.js'
import type { CliIo } from '../io.js'
import { withDomain } from '../open-domain.js'
import { operatorActor, operatorCall } from '../operator.js'
import { asFlags, choiceOption, collect, dbOption, examples, jsonOption } from '../options.js'
import { createOutput, iso, when } from '../output.js'

const FIELDS = { url: '--url', events: '--event', appId: '--app', status: '--status' }

/** A webhook as the command line shows it: never its secret. */
function webhookJson(w: WebhookRecord) {
  return {
    id: w.id,
    appId: w.appId,
    url: w.url,
    events: w.events,
    status: w.status,
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
    failingSince: iso(w.failingSince),
    disabledAt: iso(w.disabledAt),
    disabledReason: w.disabledReason,
  }
}

function deliveryJson(d: WebhookDeliveryRecord) {
  return {
    id: d.id,
    webhookId: d.webhookId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'PENDING' ? iso(d.nextAttemptAt) : null,
    lastAttemptAt: iso(d.lastAttemptAt),
    lastResponseCode: d.lastStatusCode,
    lastError: d.lastError,
    deliveredAt: iso(d.deliveredAt),
    createdAt: iso(d.createdAt),
  }
}

const EVENTS_HELP = `an event to send (repeatable, or comma-separated): ${WEBHOOK_EVENT_TYPES.join(', ')}`

/** `scopeward webhook create|list|update|delete|rotate-secret|deliveries|retry` (docs/webhooks.md). */
export function webhookCommands(io: CliIo): Command {
  const group = new Command('webhook').description("manage the webhooks that receive an app's signed token lifecycle events, and their deliveries")

  examples(
    group
      .command('create')
      .description('create a webhook: its signing secret (whsec_...) is printed once on stdout')
      .addOption(dbOption())
      .requiredOption('--app <app>', 'the app whose events it receives, by id or name (the root app: every app)')
      .requiredOption('--url <url>', 'where events are POSTed (https, unless SCOPEWARD_WEBHOOK_ALLOW_HTTP=true)')
      .requiredOption('--event <events>', EVENTS_HELP, collect)
      .addOption(jsonOption()),
    ['WEBHOOK_SECRET=$(scopeward webhook create --app billing --url https://hooks.example.com/scopeward --event token.revoked,token.expiring)'],
  ).action(async (opts: { db?: string; app: string; url: string; event: string[]; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const created = await asFlags(FIELDS, async () =>
        createWebhook(domain, operatorCall(), { url: opts.url, events: opts.event, appId: (await resolveApp(domain, operatorActor(), opts.app)).id }),
      )
      out.result({ ...webhookJson(created.webhook), secret: created.secret }, () => created.secret)
      if (!out.json) {
        out.note(`Webhook ${created.webhook.id} for app ${created.webhook.appId}: ${created.webhook.events.join(', ')} to ${created.webhook.url}.`)
        out.note(out.paint('yellow', 'This is the only time the signing secret is shown: store it now.'))
      }
    })
  })

  examples(
    group.command('list').description('list webhooks (never their secrets)').addOption(dbOption()).option('--app <app>', 'only this app’s, by id or name').addOption(jsonOption()),
    ['scopeward webhook list --app billing'],
  ).action(async (opts: { db?: string; app?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const appId = opts.app === undefined ? undefined : (await resolveApp(domain, operatorActor(), opts.app)).id
      const hooks = await listWebhooks(domain, operatorActor(), { appId })
      out.result(hooks.map(webhookJson), () =>
        hooks.length === 0
          ? 'no webhooks'
          : out.table(
              ['ID', 'APP', 'STATUS', 'URL', 'EVENTS', 'FAILING SINCE'],
              hooks.map((w) => [w.id, w.appId, w.status.toLowerCase(), w.url, w.events.join(','), when(w.failingSince)]),
            ),
      )
    })
  })

  examples(
    group
      .command('update')
      .description('change a webhook’s URL or events, or disable/enable it (enabling clears its failure record)')
      .argument('<webhook>', 'the webhook id')
      .addOption(dbOption())
      .option('--url <url>', 'the new URL')
      .option('--event <events>', `the new events (replace the old): ${WEBHOOK_EVENT_TYPES.join(', ')}`, collect)
      .option('--disable', 'stop sending to it')
      .option('--enable', 'send to it again')
      .addOption(jsonOption()),
    ['scopeward webhook update wh_... --event token.revoked', 'scopeward webhook update wh_... --enable'],
  ).action(async (id: string, opts: { db?: string; url?: string; event?: string[]; disable?: boolean; enable?: boolean; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const enabled = opts.enable ? true : opts.disable ? false : null
      const updated = await asFlags(FIELDS, () => updateWebhook(domain, operatorCall(), id, { url: opts.url ?? null, events: opts.event ?? null, enabled }))
      out.result(webhookJson(updated), () => `webhook ${updated.id}: ${updated.status.toLowerCase()}, ${updated.events.join(', ')} to ${updated.url}`)
    })
  })

  examples(group.command('delete').description('delete a webhook and its deliveries').argument('<webhook>', 'the webhook id').addOption(dbOption()).addOption(jsonOption()), [
    'scopeward webhook delete wh_...',
  ]).action(async (id: string, opts: { db?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const deleted = await deleteWebhook(domain, operatorCall(), id)
      out.result(webhookJson(deleted), () => `webhook ${deleted.id} is deleted`)
    })
  })

  examples(
    group
      .command('rotate-secret')
      .description('give a webhook a new signing secret, printed once on stdout; the old one stops signing at once')
      .argument('<webhook>', 'the webhook id')
      .addOption(dbOption())
      .addOption(jsonOption()),
    ['WEBHOOK_SECRET=$(scopeward webhook rotate-secret wh_...)'],
  ).action(async (id: string, opts: { db?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const rotated = await rotateWebhookSecret(domain, operatorCall(), id)
      out.result({ ...webhookJson(rotated.webhook), secret: rotated.secret }, () => rotated.secret)
      if (!out.json) out.note(out.paint('yellow', 'This is the only time the signing secret is shown: store it now.'))
    })
  })

  examples(
    group
      .command('deliveries')
      .description('list deliveries, newest first: status, attempts, last response code')
      .addOption(dbOption())
      .option('--webhook <webhook>', 'only this webhook’s')
      .addOption(choiceOption('--status <status>', 'only deliveries in this state', ['PENDING', 'DELIVERED', 'FAILED']))
      .option('--limit <n>', 'at most this many (default 50, at most 500)')
      .addOption(jsonOption()),
    ['scopeward webhook deliveries --status FAILED'],
  ).action(async (opts: { db?: string; webhook?: string; status?: string; limit?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const list = await asFlags(FIELDS, () =>
        listWebhookDeliveries(domain, operatorActor(), {
          webhookId: opts.webhook ?? null,
          status: opts.status ?? null,
          first: opts.limit === undefined ? null : Number(opts.limit),
        }),
      )
      out.result(list.map(deliveryJson), () =>
        list.length === 0
          ? 'no deliveries'
          : out.table(
              ['ID', 'WEBHOOK', 'EVENT', 'STATUS', 'ATTEMPTS', 'LAST CODE', 'LAST ERROR'],
              list.map((d) => [
                d.id,
                d.webhookId,
                d.eventType,
                d.status.toLowerCase(),
                String(d.attempts),
                d.lastStatusCode === null ? '-' : String(d.lastStatusCode),
                d.lastError ?? '-',
              ]),
            ),
      )
    })
  })

  examples(
    group
      .command('retry')
      .description('attempt a delivery again now (a running server sends it), its attempts counted from zero')
      .argument('<delivery>', 'the delivery id')
      .addOption(dbOption())
      .addOption(jsonOption()),
    ['scopeward webhook retry dlv_...'],
  ).action(async (id: string, opts: { db?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const retried = await retryWebhookDelivery(domain, operatorCall(), id)
      out.result(deliveryJson(retried), () => `delivery ${retried.id} is due again`)
    })
  })

  return group
}
