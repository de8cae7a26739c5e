// `scopeward audit verify` attacked by someone who can write the database (11.16): with a master
// key the chain is keyed and its head carries a MAC; `audit head` anchors the head elsewhere and
// `audit verify --head` checks the log against it. Runs on PostgreSQL too (SCOPEWARD_TEST_DB=postgres).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { auditHash, GENESIS_HASH } from '../../src/domain/audit-hash.js'
import { openStore } from '../../src/store/open-store.js'
import { issue, runSql, startServer } from './harness.js'
import { runCli } from './run-cli.js'

const cli = runCli

/** A database with a few audited changes, the server stopped; `discard` removes it. */
async function database(env: Record<string, string>, changes = 3): Promise<{ dbPath: string; rootToken: string; discard: () => Promise<void> }> {
  const server = await startServer({ keep: true, env })
  for (let i = 0; i < changes; i++) await issue(server, { name: `t${i}`, scopes: ['tokens:read'] })
  await server.stop()
  return { dbPath: server.dbPath, rootToken: server.rootToken, discard: () => server.discard() }
}

/** The attack: delete every event after `keep` and point audit_head at the new last one. */
const truncate = (dbPath: string, keep: number) =>
  runSql(dbPath, `DELETE FROM audit_events WHERE seq > ${keep}; UPDATE meta SET value = (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1) WHERE key = 'audit_head'`)

describe('11.16 the audit chain against someone who writes the database', () => {
  test('11.16 with a master key, deleting the newest events and updating audit_head is caught', async () => {
    const env = { SCOPEWARD_MASTER_KEY: randomBytes(32).toString('base64url') }
    const db = await database(env)
    try {
      const intact = await cli(env, 'audit', 'verify', '--db', db.dbPath)
      assert.equal(intact.code, 0, intact.stderr)
      assert.match(intact.stdout, /audit log intact: 5 events, keyed chain \(5 events under the master key\)/)
      await truncate(db.dbPath, 2)
      const caught = await cli(env, 'audit', 'verify', '--db', db.dbPath)
      assert.equal(caught.code, 1)
      assert.match(caught.stderr, /head tag does not match the last event: the latest events were deleted/)
      const unkeyed = await cli({}, 'audit', 'verify', '--db', db.dbPath)
      assert.equal(unkeyed.code, 1, 'a keyed chain cannot pass as an unkeyed one')
      assert.match(unkeyed.stderr, /SCOPEWARD_MASTER_KEY/)
    } finally {
      await db.discard()
    }
  })

  test('11.16 with a master key, a rewritten event with the chain recomputed as SHA-256 is caught', async () => {
    const env = { SCOPEWARD_MASTER_KEY: randomBytes(32).toString('base64url') }
    const db = await database(env)
    try {
      const store = await openStore(db.dbPath)
      const events = (await store.listAuditEvents({ limit: 100 })).rows
      await store.close()
      let previous = GENESIS_HASH
      const updates = events.map(({ seq, hash: _hash, ...input }) => {
        const forged = { ...input, action: seq === 2 ? 'tampered' : input.action }
        previous = auditHash(previous, forged)
        return `UPDATE audit_events SET action = '${forged.action}', hash = '${previous}' WHERE seq = ${seq};`
      })
      await runSql(db.dbPath, `${updates.join('\n')} UPDATE meta SET value = '${previous}' WHERE key = 'audit_head'`)
      assert.equal((await cli({}, 'audit', 'verify', '--db', db.dbPath)).code, 0, 'the unkeyed chain is consistent again: what an unkeyed log cannot prove')
      const caught = await cli(env, 'audit', 'verify', '--db', db.dbPath)
      assert.equal(caught.code, 1)
      assert.match(caught.stderr, /no event is keyed with this master key/)
    } finally {
      await db.discard()
    }
  })

  test('11.16 audit head prints the head; verify --head catches a truncation the bare chain cannot, even without a master key', async () => {
    const db = await database({})
    try {
      const head = await cli({}, 'audit', 'head', '--db', db.dbPath, '--json')
      assert.equal(head.code, 0, head.stderr)
      const anchored = JSON.parse(head.stdout) as { seq: number; hash: string }
      assert.equal(anchored.seq, 5, 'init, the first key and three tokens')
      assert.match(anchored.hash, /^[0-9a-f]{64}$/)
      const later = await startServer({ dbPath: db.dbPath, rootToken: db.rootToken, keep: true })
      await issue(later, { name: 'later', scopes: ['tokens:read'] })
      await later.stop()
      const holds = await cli({}, 'audit', 'verify', '--db', db.dbPath, '--head', anchored.hash)
      assert.equal(holds.code, 0, holds.stderr)
      assert.match(holds.stdout, /contains the anchored head/)

      await truncate(db.dbPath, 4)
      assert.equal((await cli({}, 'audit', 'verify', '--db', db.dbPath)).code, 0, 'without a key or an anchor the truncation passes (documented)')
      const caught = await cli({}, 'audit', 'verify', '--db', db.dbPath, '--head', anchored.hash)
      assert.equal(caught.code, 1)
      assert.match(caught.stderr, /the anchored head [0-9a-f]{64} is not in the chain/)
    } finally {
      await db.discard()
    }
  })

  test('11.16 verify --head with something that is not a head is a clear error (exit 1), naming --head', async () => {
    const db = await database({}, 0)
    try {
      const bad = await cli({}, 'audit', 'verify', '--db', db.dbPath, '--head', "x' OR 1=1")
      assert.equal(bad.code, 1)
      assert.match(bad.stderr, /--head: must be the 64 hex characters printed by `scopeward audit head`/)
      assert.doesNotMatch(bad.stderr, /\n\s+at /)
    } finally {
      await db.discard()
    }
  })
})
