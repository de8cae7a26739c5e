// Graceful shutdown: SIGTERM lets in-flight requests finish, flushes usage counters, closes the
// database and exits 0.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import Database from 'better-sqlite3'
import { ISSUE } from '../e2e/harness.js'
import { post, startChildServer } from './child-server.js'
import { waitFor } from '../wait-for.js'

/**
 * Starts a POST /graphql whose body is sent in two halves: `sent` resolves once the headers and the
 * first half are handed to the kernel; `finish()` sends the second half and resolves with the answer.
 */
function slowRequest(url: string, token: string, query: string): { sent: Promise<void>; finish: () => Promise<{ status: number; body: any }> } {
  const body = JSON.stringify({ query })
  const half = Math.floor(body.length / 2)
  const { hostname, port } = new URL(url)
  let pending = () => {}
  let written = () => {}
  const sent = new Promise<void>((done) => (written = done))
  const answer = new Promise<{ status: number; body: any }>((done, fail) => {
    const req = request(
      {
        hostname,
        port,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString('utf8')))
        res.on('end', () => done({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
      },
    )
    req.on('error', fail)
    req.write(body.slice(0, half), () => written())
    pending = () => req.end(body.slice(half))
  })
  return {
    sent,
    finish: () => {
      pending()
      return answer
    },
  }
}

test('SIGTERM: in-flight requests complete with 200, usage recorded before it is persisted, and the process exits 0 within 10 s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scopeward-shutdown-'))
  const db = join(dir, 'shutdown.db')
  try {
    // Usage is only flushed by the timer once an hour here: what reaches the disk is the shutdown's flush.
    const server = await startChildServer(db, { SCOPEWARD_USAGE_FLUSH_MS: '3600000' })
    const root = server.rootToken as string
    const issued = await post(server.url, root, ISSUE, { input: { name: 'reader', scopes: ['tokens:read', 'apps:read'] } })
    assert.equal(issued.status, 200)
    const reader = issued.body.data.issueToken as { secret: string; token: { id: string } }
    for (let i = 0; i < 3; i++) assert.equal((await post(server.url, reader.secret, '{ tokens(first: 1) { totalCount } }')).status, 200)
    assert.equal((await post(server.url, reader.secret, '{ apps(first: 1) { totalCount } }')).status, 200)

    const inFlight = [slowRequest(server.url, reader.secret, '{ viewer { id } }'), slowRequest(server.url, root, '{ tokens(first: 5) { totalCount } }')]
    await Promise.all(inFlight.map((r) => r.sent))
    // A barrier, not a pause: a request on a new connection answered after both were sent means the
    // server has accepted their connections and read what they sent (it serves sockets in arrival order).
    assert.equal((await post(server.url, root, '{ viewer { id } }')).status, 200)
    const signalled = Date.now()
    server.child.kill('SIGTERM')
    // A new connection is no longer accepted while draining (polled: the signal takes a moment to arrive).
    await waitFor(async () => (await post(server.url, root, '{ viewer { id } }')).status === 0, { timeoutMs: 5_000, what: 'no new connection after SIGTERM' })
    const answers = await Promise.all(inFlight.map((r) => r.finish()))
    for (const a of answers) {
      assert.equal(a.status, 200, JSON.stringify(a.body))
      assert.equal(a.body.errors, undefined)
    }
    assert.equal(answers[0]?.body.data.viewer.id, reader.token.id)

    const exit = await server.exited
    assert.deepEqual(exit, { code: 0, signal: null })
    assert.ok(Date.now() - signalled < 10_000, 'exited within 10 s')

    const sqlite = new Database(db, { readonly: true })
    try {
      const rows = sqlite.prepare('SELECT scope, count FROM token_scope_usage WHERE token_id = ? ORDER BY scope').all(reader.token.id) as { scope: string; count: number }[]
      const byScope = Object.fromEntries(rows.map((r) => [r.scope, r.count]))
      assert.equal(byScope['tokens:read'], 3, JSON.stringify(rows))
      assert.equal(byScope['apps:read'], 1, JSON.stringify(rows))
      const token = sqlite.prepare('SELECT last_used_at AS lastUsedAt FROM tokens WHERE id = ?').get(reader.token.id) as { lastUsedAt: number | null }
      assert.ok(token.lastUsedAt !== null && token.lastUsedAt <= Date.now(), 'lastUsedAt persisted')
      assert.equal(sqlite.pragma('integrity_check', { simple: true }), 'ok')
    } finally {
      sqlite.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the log is written asynchronously yet complete: every access line of a burst reaches stdout before SIGTERM exits the process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scopeward-log-flush-'))
  try {
    const server = await startChildServer(join(dir, 'log.db'), { LOG_LEVEL: 'info' }, { stdout: true })
    // A failed assertion must not leave the server running (it would hold the test file open).
    after(() => server.child.kill('SIGKILL'))
    const root = server.rootToken as string
    const ids = Array.from({ length: 200 }, (_, i) => `flush-${i}`)
    // Bursts of 40 (under the per-address connection cap): the last answers arrive while their lines may still sit in the logger's buffer.
    for (let i = 0; i < ids.length; i += 40) {
      const answers = await Promise.all(ids.slice(i, i + 40).map((id) => fetch(`${server.url}/healthz`, { headers: { 'x-request-id': id } })))
      for (const a of answers) assert.equal(a.status, 200)
    }
    const viewer = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${root}`, 'x-request-id': 'flush-viewer' },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    })
    assert.equal(viewer.status, 200)
    const rootId = ((await viewer.json()) as { data: { viewer: { id: string } } }).data.viewer.id
    server.child.kill('SIGTERM')
    assert.deepEqual(await server.exited, { code: 0, signal: null })

    const lines = server
      .stdout()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const access = new Map(lines.filter((l) => l.msg === 'request').map((l) => [l.requestId, l]))
    for (const id of ids) assert.equal(access.get(id)?.status, 200, `access line of ${id}`)
    assert.equal(access.get('flush-viewer')?.tokenId, rootId, 'the access line names the authenticated token')
    assert.equal(access.get('flush-viewer')?.path, '/graphql')
    assert.ok(!server.stdout().includes(root.slice(20)), 'no secret in the log')
    assert.ok(
      lines.some((l) => l.msg === 'shutting down'),
      'the shutdown line is written too',
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
