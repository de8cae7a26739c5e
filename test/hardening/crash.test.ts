// Durability: a server killed with SIGKILL in the middle of a burst of writes loses nothing it
// acknowledged, and leaves a consistent database and an unbroken audit chain.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { ISSUE, REVOKE, startServer } from '../e2e/harness.js'
import { post, ROOT, startChildServer } from './child-server.js'

const POOL = 30
const WORKERS = 16

test('every change acknowledged before a SIGKILL mid-burst survives the restart; integrity_check is ok and the audit chain verifies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scopeward-crash-'))
  const db = join(dir, 'crash.db')
  try {
    const server = await startChildServer(db)
    const root = server.rootToken as string
    assert.ok(root, 'the root token is printed on first start')

    // Tokens to revoke during the burst, issued (and acknowledged) beforehand.
    const pool: { id: string; secret: string }[] = []
    for (let i = 0; i < POOL; i++) {
      const r = await post(server.url, root, ISSUE, { input: { name: `pool-${i}`, scopes: ['tokens:read'] } })
      assert.equal(r.status, 200, JSON.stringify(r.body))
      pool.push({ id: r.body.data.issueToken.token.id, secret: r.body.data.issueToken.secret })
    }

    const issued: { id: string; secret: string }[] = []
    const revoked: { id: string; secret: string }[] = []
    let killed = false
    let next = 0
    const kill = () => {
      if (!killed) {
        killed = true
        server.child.kill('SIGKILL')
      }
    }
    const worker = async (w: number): Promise<void> => {
      for (let n = 0; !killed; n++) {
        if ((w + n) % 2 === 0 && next < pool.length) {
          const target = pool[next++] as { id: string; secret: string }
          const r = await post(server.url, root, REVOKE, { id: target.id, reason: 'crash test' })
          if (r.status === 200 && r.body?.data?.revokeToken?.status === 'REVOKED') revoked.push(target)
        } else {
          const r = await post(server.url, root, ISSUE, { input: { name: `burst-${w}-${n}`, scopes: ['tokens:read'] } })
          if (r.status === 200 && r.body?.data?.issueToken) issued.push({ id: r.body.data.issueToken.token.id, secret: r.body.data.issueToken.secret })
        }
        // Kill while requests are still in flight, once enough has been acknowledged to matter.
        if (issued.length + revoked.length >= 30) kill()
      }
    }
    const safety = setTimeout(kill, 15_000)
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)))
    clearTimeout(safety)
    const exit = await server.exited
    assert.equal(exit.signal, 'SIGKILL')
    assert.ok(issued.length > 0 && revoked.length > 0, `the burst acknowledged issues (${issued.length}) and revocations (${revoked.length})`)

    // Restart on the same file (migrations and WAL recovery run as in production).
    const restarted = await startServer({ dbPath: db, rootToken: root, keep: true })
    try {
      for (const t of issued) {
        const found = await restarted.gql('query($id: ID!) { token(id: $id) { id status } }', { variables: { id: t.id } })
        assert.equal(found.body.data?.token?.id, t.id, `acknowledged issued token ${t.id} exists`)
        assert.equal((await restarted.gql('{ viewer { id } }', { token: t.secret })).status, 200, `acknowledged issued token ${t.id} works`)
      }
      for (const t of revoked) {
        const r = await restarted.gql('{ viewer { id } }', { token: t.secret })
        assert.equal(r.status, 401, `acknowledged revocation of ${t.id} holds after the crash`)
      }
    } finally {
      await restarted.stop()
    }

    const sqlite = new Database(db, { readonly: true })
    try {
      assert.equal(sqlite.pragma('integrity_check', { simple: true }), 'ok')
      assert.equal((sqlite.pragma('foreign_key_check') as unknown[]).length, 0)
    } finally {
      sqlite.close()
    }

    const verify = await new Promise<{ code: number; out: string }>((done) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'verify', '--db', db],
        { cwd: ROOT, env: { ...process.env, SCOPEWARD_DB: '' }, timeout: 30_000 },
        (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout + stderr }),
      ),
    )
    assert.equal(verify.code, 0, verify.out)
    assert.match(verify.out, /audit log intact/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
