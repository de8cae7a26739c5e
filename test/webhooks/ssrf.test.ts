// The SSRF guard: with SCOPEWARD_WEBHOOK_ALLOW_PRIVATE off (the default), a webhook whose address is
// loopback, private or link-local (an IP literal, or a name such as `localhost` that resolves to one)
// is refused after the server resolved it, before any connection; redirects are never followed.
// Only loopback targets are used here: a guard that failed would reach nothing outside this machine.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { isPrivateAddress } from '../../src/webhooks/address-guard.js'
import { dataOf, issue, startServer, type TestServer } from '../e2e/harness.js'
import { waitFor } from '../wait-for.js'
import { CREATE_WEBHOOK, FAST } from './helpers.js'
import { Receiver } from './receiver.js'

const DELIVERIES = `query D($id: ID) { webhookDeliveries(webhookId: $id) { status attempts lastResponseCode lastError lastResponseBody } }`

describe('address ranges a webhook may not reach', () => {
  test('loopback, private, link-local, CGNAT, multicast, unspecified and mapped forms are private; public addresses are not', () => {
    for (const a of [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.10',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
    ]) {
      assert.equal(isPrivateAddress(a), true, a)
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPrivateAddress(a), false, a)
  })
})

describe('webhooks: SSRF refused at delivery time', () => {
  let server: TestServer
  const receiver = new Receiver()

  before(async () => {
    await receiver.start()
    server = await startServer({ env: { ...FAST, SCOPEWARD_WEBHOOK_RETRY_SCHEDULE: '0' } })
  })
  after(async () => {
    await server.stop()
    await receiver.stop()
  })

  for (const host of ['127.0.0.1', 'localhost', '[::1]', '127.1.2.3']) {
    test(`a webhook at ${host} is refused after resolution, and nothing is sent`, async () => {
      const url = `http://${host}:${receiver.port}/hook`
      const { webhook } = dataOf(await server.gql(CREATE_WEBHOOK, { variables: { input: { url, events: ['TOKEN_ISSUED'] } } })).createWebhook
      await issue(server, { scopes: ['tokens:read'] })
      const [delivery] = await waitFor(
        async () => {
          const list = dataOf(await server.gql(DELIVERIES, { variables: { id: webhook.id } })).webhookDeliveries
          return list.length > 0 && list.every((d: any) => d.status === 'FAILED') ? list : null
        },
        { timeoutMs: 10_000, what: `the delivery to ${host} failed` },
      )
      assert.match(delivery.lastError, /refused: .* private, loopback or link-local/)
      assert.equal(delivery.lastResponseCode, null, 'no connection was made')
      assert.equal(receiver.received.length, 0)
      dataOf(await server.gql(`mutation { deleteWebhook(id: "${webhook.id}") { id } }`))
    })
  }
})

describe('webhooks: redirects are not followed', () => {
  let server: TestServer
  const first = new Receiver()
  const target = new Receiver()

  before(async () => {
    await first.start()
    await target.start()
    first.status = 302
    first.headers = { location: target.url }
    server = await startServer({ env: { ...FAST, SCOPEWARD_WEBHOOK_ALLOW_PRIVATE: 'true', SCOPEWARD_WEBHOOK_RETRY_SCHEDULE: '0' } })
  })
  after(async () => {
    await server.stop()
    await first.stop()
    await target.stop()
  })

  test('a 302 is a failed attempt: the Location is never requested, and at most 1 KB of the answer is kept', async () => {
    const { webhook } = dataOf(await server.gql(CREATE_WEBHOOK, { variables: { input: { url: first.url, events: ['TOKEN_ISSUED'] } } })).createWebhook
    await issue(server, { scopes: ['tokens:read'] })
    const [delivery] = await waitFor(
      async () => {
        const list = dataOf(await server.gql(DELIVERIES, { variables: { id: webhook.id } })).webhookDeliveries
        return list.length > 0 && list[0].status === 'FAILED' ? list : null
      },
      { timeoutMs: 10_000, what: 'the redirected delivery failed' },
    )
    assert.equal(delivery.lastResponseCode, 302)
    assert.match(delivery.lastError, /redirect not followed/)
    assert.equal(delivery.lastResponseBody.length, 1024)
    assert.equal(target.received.length, 0)
  })
})
