// 11.14: a client's mistake is a 4xx logged at info level, never a 500, an error log or a 5xx in /metrics.
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { startServer, type TestServer } from '../e2e/harness.js'
import { waitFor } from '../wait-for.js'

/** Log lines at error level (50) or above written since `from`. */
const errorLogs = (server: TestServer, from: number): string[] => server.logs.slice(from).filter((line) => (JSON.parse(line) as { level: number }).level >= 50)

async function serverErrors(server: TestServer): Promise<string[]> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  return text.split('\n').filter((line) => /^scopeward_http_requests_total\{.*status="5\d\d"/.test(line))
}

describe('11.14 client mistakes are 4xx and info-level', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  test('11.14 an APQ hash that does not match its query is 400 BAD_REQUEST, with or without a token, and no error log', async () => {
    for (const token of [null, server.rootToken]) {
      const logs = server.logs.length
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query: '{ viewer { id } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }),
      })
      assert.equal(res.status, 400)
      const body = (await res.json()) as { errors: { extensions: { code: string } }[] }
      assert.equal(body.errors[0]?.extensions.code, 'BAD_REQUEST', JSON.stringify(body))
      assert.deepEqual(errorLogs(server, logs), [])
    }
    assert.deepEqual(await serverErrors(server), [])
  })

  test('11.14 a request body cut off by the client is logged as a 4xx request, not a 500, and /metrics counts no 5xx', async () => {
    const logs = server.logs.length
    const url = new URL(server.url)
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST /graphql HTTP/1.1\r\nHost: scopeward\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nAuthorization: Bearer ${server.rootToken}\r\n\r\n{"query":`,
        )
        // Let the server start reading the body, then go away.
        setImmediate(() => socket.destroy())
      })
      socket.once('close', () => resolve())
      socket.once('error', reject)
    })
    // The request log line is written when the server has finished with the request.
    const found = await waitFor(() => server.logs.slice(logs).find((l) => l.includes('"msg":"request"') && l.includes('"path":"/graphql"')), {
      timeoutMs: 5_000,
      what: 'the aborted request logged',
    })
    const line = JSON.parse(found) as { status: number; level: number }
    assert.ok(line.status >= 400 && line.status < 500, `status ${line.status}`)
    assert.equal(line.level, 30, 'info level')
    assert.deepEqual(errorLogs(server, logs), [])
    assert.deepEqual(await serverErrors(server), [])
  })
})
