// Managing webhooks over GraphQL: scopes (webhooks:read / webhooks:write), the app boundary (an
// app's token sees and changes only its app's webhooks; root sees all), URL rules (https unless
// allowed), secret rotation, retrying a failed delivery, and disabling a webhook that fails too
// long. Each refusal names what is wrong and writes nothing.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auditCount, createApp, dataOf, errorCodes, issue, startServer, type TestServer } from '../e2e/harness.js'
import { waitFor } from '../wait-for.js'
import { CREATE_WEBHOOK, DELIVERIES, FAST } from './helpers.js'
import { Receiver } from './receiver.js'

const LIST = '{ webhooks { id appId url } }'

describe('webhooks: who may manage which, and what URL', () => {
  let server: TestServer
  let strict: TestServer
  const receiver = new Receiver()
  let appA: any
  let appB: any
  let tokenA: string
  let readerA: string
  let rootHook: string

  before(async () => {
    await receiver.start()
    server = await startServer({ env: { ...FAST, SCOPEWARD_WEBHOOK_ALLOW_PRIVATE: 'true' } })
    strict = await startServer()
    appA = await createApp(server, { name: 'a', allowedScopes: ['webhooks:write', 'tokens:read'] })
    appB = await createApp(server, { name: 'b', allowedScopes: ['webhooks:write'] })
    tokenA = (await issue(server, { appId: appA.id, scopes: ['webhooks:write'] })).secret
    readerA = (await issue(server, { appId: appA.id, scopes: ['tokens:read'] })).secret
    rootHook = dataOf(await server.gql(CREATE_WEBHOOK, { variables: { input: { url: receiver.url, events: ['TOKEN_ISSUED'] } } })).createWebhook.webhook.id
  })
  after(async () => {
    await server.stop()
    await strict.stop()
    await receiver.stop()
  })

  test('without webhooks:write a token cannot create one, without webhooks:read it cannot list them (FORBIDDEN), and nothing is written', async () => {
    const audit = await auditCount(server)
    const created = await server.gql(CREATE_WEBHOOK, { token: readerA, variables: { input: { url: receiver.url, events: ['TOKEN_ISSUED'] } } })
    assert.deepEqual(errorCodes(created), ['FORBIDDEN'])
    assert.deepEqual(errorCodes(await server.gql(LIST, { token: readerA })), ['FORBIDDEN'])
    assert.equal(await auditCount(server), audit)
  })

  test("an app's token creates webhooks for its own app only and sees only those; root sees all", async () => {
    const own = dataOf(await server.gql(CREATE_WEBHOOK, { token: tokenA, variables: { input: { url: receiver.url, events: ['TOKEN_REVOKED'] } } })).createWebhook
    assert.equal(own.webhook.appId, appA.id)
    const audit = await auditCount(server)
    const other = await server.gql(CREATE_WEBHOOK, { token: tokenA, variables: { input: { url: receiver.url, events: ['TOKEN_ISSUED'], appId: appB.id } } })
    assert.deepEqual(errorCodes(other), ['NOT_FOUND'])
    assert.equal(await auditCount(server), audit)
    assert.deepEqual(
      dataOf(await server.gql(LIST, { token: tokenA })).webhooks.map((w: any) => w.id),
      [own.webhook.id],
    )
    assert.ok(dataOf(await server.gql(LIST)).webhooks.length >= 2)
    for (const mutation of [
      `mutation { updateWebhook(id: "${rootHook}", input: { enabled: false }) { id } }`,
      `mutation { deleteWebhook(id: "${rootHook}") { id } }`,
      `mutation { rotateWebhookSecret(id: "${rootHook}") { secret } }`,
    ]) {
      assert.deepEqual(errorCodes(await server.gql(mutation, { token: tokenA })), ['NOT_FOUND'], mutation)
    }
    assert.equal(await auditCount(server), audit)
    const deliveries = dataOf(await server.gql(DELIVERIES, { token: tokenA })).webhookDeliveries
    assert.ok(
      deliveries.every((d: any) => d.eventType === 'TOKEN_REVOKED'),
      'no delivery of the root webhook is visible to the app',
    )
  })

  test('URLs: https only unless allowed; no credentials, no fragment, nothing that is not http(s); each refusal names url and writes nothing', async () => {
    const audit = await auditCount(strict)
    for (const url of [
      'http://example.com/hook',
      'ftp://example.com/hook',
      'https://user:pw@example.com/hook',
      'https://example.com/hook#x',
      'not a url',
      `https://example.com/${'a'.repeat(2100)}`,
    ]) {
      const r = await strict.gql(CREATE_WEBHOOK, { variables: { input: { url, events: ['TOKEN_ISSUED'] } } })
      assert.deepEqual(errorCodes(r), ['BAD_USER_INPUT'], url)
      assert.equal(r.body.errors?.[0]?.extensions?.field, 'url', url)
    }
    assert.equal(await auditCount(strict), audit)
    assert.equal((await strict.app.store.listWebhooks({})).length, 0)
    const ok = dataOf(await strict.gql(CREATE_WEBHOOK, { variables: { input: { url: 'https://example.com/hook', events: ['TOKEN_ISSUED'] } } })).createWebhook
    assert.equal(ok.webhook.url, 'https://example.com/hook')
    dataOf(await strict.gql(`mutation { deleteWebhook(id: "${ok.webhook.id}") { id } }`))
    const unknown = await strict.gql(CREATE_WEBHOOK, { variables: { input: { url: 'https://example.com/hook', events: ['TOKEN_EXPLODED'] } } })
    assert.ok(errorCodes(unknown).length > 0)
    const none = await strict.gql(CREATE_WEBHOOK, { variables: { input: { url: 'https://example.com/hook', events: [] } } })
    assert.deepEqual(errorCodes(none), ['BAD_USER_INPUT'])
  })

  test('rotating the secret: the new one is shown once and signs from then on; the old one no longer verifies', async () => {
    const rotated = dataOf(await server.gql(`mutation { rotateWebhookSecret(id: "${rootHook}") { secret webhook { id } } }`)).rotateWebhookSecret
    assert.match(rotated.secret, /^whsec_/)
    receiver.secret = rotated.secret
    const marker = await issue(server, { scopes: ['tokens:read'] })
    const got = await waitFor(() => receiver.received.find((r) => r.body.data.token?.id === marker.id), { timeoutMs: 10_000, what: 'the event after rotation' })
    assert.equal(got.signatureValid, true)
  })
})

describe('webhooks: retrying a failed delivery, and disabling a webhook that fails for days', () => {
  let server: TestServer
  const receiver = new Receiver()

  before(async () => {
    await receiver.start()
    server = await startServer({ env: { ...FAST, SCOPEWARD_WEBHOOK_ALLOW_PRIVATE: 'true', SCOPEWARD_WEBHOOK_RETRY_SCHEDULE: '0,30,30', SCOPEWARD_WEBHOOK_DISABLE_AFTER: 'P2D' } })
  })
  after(async () => {
    await server.stop()
    await receiver.stop()
  })

  test('a delivery that used up its retries is FAILED; retryWebhookDelivery sends it again', async () => {
    const created = dataOf(await server.gql(CREATE_WEBHOOK, { variables: { input: { url: receiver.url, events: ['TOKEN_ISSUED'] } } })).createWebhook
    receiver.secret = created.secret
    receiver.status = 500
    await issue(server, { scopes: ['tokens:read'] })
    const [failed] = await waitFor(
      async () => {
        const list = dataOf(await server.gql(DELIVERIES, { variables: { webhookId: created.webhook.id, status: 'FAILED' } })).webhookDeliveries
        return list.length > 0 ? list : null
      },
      { timeoutMs: 10_000, what: 'the delivery failed' },
    )
    assert.equal(failed.attempts, 3)
    assert.equal(failed.lastResponseCode, 500)
    receiver.status = 204
    const retried = dataOf(await server.gql(`mutation { retryWebhookDelivery(id: "${failed.id}") { id status attempts } }`)).retryWebhookDelivery
    assert.equal(retried.status, 'PENDING')
    await waitFor(() => receiver.received.length === 1, { timeoutMs: 10_000, what: 'the retried delivery' })
    assert.ok(receiver.received[0]?.signatureValid)
    dataOf(await server.gql(`mutation { deleteWebhook(id: "${created.webhook.id}") { id } }`))
  })

  test('a webhook whose every attempt failed for longer than SCOPEWARD_WEBHOOK_DISABLE_AFTER is disabled, audited and logged', async () => {
    const created = dataOf(await server.gql(CREATE_WEBHOOK, { variables: { input: { url: receiver.url, events: ['TOKEN_ISSUED'] } } })).createWebhook
    receiver.status = 500
    await issue(server, { scopes: ['tokens:read'] })
    await waitFor(async () => (await server.app.store.getWebhook(created.webhook.id))?.failingSince, { timeoutMs: 10_000, what: 'failing' })
    server.advance(3 * 24 * 3600_000)
    await issue(server, { scopes: ['tokens:read'] })
    const disabled = await waitFor(
      async () => {
        const w = await server.app.store.getWebhook(created.webhook.id)
        return w?.status === 'DISABLED' ? w : null
      },
      { timeoutMs: 10_000, what: 'disabled' },
    )
    assert.match(disabled.disabledReason ?? '', /every delivery failed since/)
    const audit = await server.app.store.listAuditEvents({ action: 'webhook.disable', limit: 10 })
    assert.equal(audit.rows.length, 1)
    assert.ok(server.logs.some((l) => l.includes('webhook disabled')))
    // Enabling clears the record.
    const enabled = dataOf(await server.gql(`mutation { updateWebhook(id: "${created.webhook.id}", input: { enabled: true }) { status failingSince } }`)).updateWebhook
    assert.deepEqual(enabled, { status: 'ACTIVE', failingSince: null })
  })
})
