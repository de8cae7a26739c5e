// 11.9: slow-header clients cannot hold connections for long, nor hold many from one address.
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { describe, test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { startServer, type TestServer } from '../e2e/harness.js'

/** A raw connection to the server; resolves once connected. */
function open(server: TestServer): Promise<Socket> {
  const url = new URL(server.url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Everything the server sent until it closed the connection. */
function untilClosed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
    socket.on('error', () => undefined)
    socket.once('close', () => resolve(text))
  })
}

/** Sends a whole keep-alive request and waits for its answer: the server has then certainly counted the connection. */
function roundTrip(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1')))
    socket.write('GET /healthz HTTP/1.1\r\nHost: scopeward\r\n\r\n')
  })
}

describe('11.9 connection limits', () => {
  // Without connectionsCheckingInterval Node sweeps every 30 s: the half-sent request would outlive this test's timeout.
  test('11.9 the header timeout is real: a half-sent request is closed within about the configured time, not on a 30 s sweep', { timeout: 15_000 }, async () => {
    const server = await startServer({ env: { SCOPEWARD_HEADERS_TIMEOUT_MS: '1000' } })
    try {
      const socket = await open(server)
      const closed = untilClosed(socket)
      socket.write('GET /healthz HTTP/1.1\r\nHost: scopeward\r\nX-Slow: ')
      const answer = await closed
      assert.match(answer, /^HTTP\/1\.1 408 /, 'the server answers 408 Request Timeout and closes')
    } finally {
      await server.stop()
    }
  })

  test('11.9 connections per address are capped (SCOPEWARD_MAX_CONNECTIONS_PER_ADDRESS=5): the 6th is closed unanswered, and a slot frees when one closes', async () => {
    const server = await startServer({ env: { SCOPEWARD_MAX_CONNECTIONS_PER_ADDRESS: '5' } })
    const held: Socket[] = []
    try {
      for (let i = 0; i < 5; i++) {
        const socket = await open(server)
        held.push(socket)
        assert.match(await roundTrip(socket), /^HTTP\/1\.1 200 /)
      }
      const extra = await open(server)
      const closed = untilClosed(extra)
      extra.write('GET /healthz HTTP/1.1\r\nHost: scopeward\r\n\r\n')
      assert.equal(await closed, '', 'the 6th connection was served')
      const metrics = await (await fetch(`${server.url}/metrics`).catch(() => null))?.text()
      assert.equal(metrics, undefined, 'a 7th connection (fetch) was served while 5 are held')
      // Release one: the server sees it close, and the next connection is admitted.
      const first = held.shift() as Socket
      const gone = untilClosed(first)
      first.end()
      await gone
      let admitted = false
      for (let attempt = 0; attempt < 50 && !admitted; attempt++) {
        admitted = await fetch(`${server.url}/healthz`, { headers: { connection: 'close' } }).then(
          (r) => r.ok,
          () => false,
        )
        if (!admitted) await new Promise((resolve) => setImmediate(resolve))
      }
      assert.ok(admitted, 'a freed slot admits a new connection')
      assert.match(await (await fetch(`${server.url}/metrics`, { headers: { connection: 'close' } })).text(), /scopeward_rate_limited_total\{limiter="connections"\} [1-9]/)
    } finally {
      for (const socket of held) socket.destroy()
      await server.stop()
    }
  })

  test('11.9 a bad connection setting stops the server with a message naming it', () => {
    assert.throws(() => loadConfig({}, { SCOPEWARD_MAX_CONNECTIONS_PER_ADDRESS: '0' }), /SCOPEWARD_MAX_CONNECTIONS_PER_ADDRESS/)
    assert.throws(() => loadConfig({}, { SCOPEWARD_HEADERS_TIMEOUT_MS: 'soon' }), /SCOPEWARD_HEADERS_TIMEOUT_MS/)
  })
})
