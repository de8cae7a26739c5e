// The master key protects an existing database too (11.5): plaintext keys are sealed at the first
// start with it, nothing writes plaintext into a sealed database, RETIRED keys keep no private key,
// and serving without a master key says so. Runs on PostgreSQL too (SCOPEWARD_TEST_DB=postgres).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { startChildServer } from '../hardening/child-server.js'
import { createTestDatabase } from '../store/fresh-pg-database.js'
import { auditCount, databaseText, issue, startServer } from './harness.js'
import { runCli } from './run-cli.js'

const ISSUER = { SCOPEWARD_ISSUER: 'https://auth.example.test' }

const cli = runCli

describe('11.5 the master key on an existing database', () => {
  test('11.5 keys stored in plaintext are sealed at the first start with a master key (audited), keep verifying, and a plaintext rotation into the sealed database is refused', async () => {
    const masterKey = randomBytes(32).toString('base64url')
    const plain = await startServer({ keep: true, env: ISSUER })
    const dbPath = plain.dbPath
    const jwt = await issue(plain, { kind: 'JWT', scopes: ['tokens:read'] })
    const [before] = await plain.app.store.listSigningKeys()
    const d = (JSON.parse(before?.privateKey ?? '{}') as { d?: string }).d as string
    assert.ok(d, 'served without a master key, the private key is plaintext (the starting point)')
    await plain.stop()

    const sealed = await startServer({ dbPath, rootToken: plain.rootToken, keep: true, env: { ...ISSUER, SCOPEWARD_MASTER_KEY: masterKey } })
    try {
      const keys = await sealed.app.store.listSigningKeys()
      assert.equal(keys.length, 1)
      assert.equal(keys[0]?.privateKey.split('.').length, 5, 'a compact JWE now')
      const [event] = (await sealed.app.store.listAuditEvents({ action: 'key.seal', limit: 10 })).rows
      assert.deepEqual(event?.details, { kids: [before?.kid] })
      assert.equal((await sealed.gql('{ viewer { id } }', { token: jwt.secret })).status, 200, 'the same key, sealed, still verifies')
      assert.ok(!(await databaseText(dbPath)).includes(d), 'the plaintext private key is gone from the database')
    } finally {
      await sealed.stop()
    }

    const reopened = await startServer({ dbPath, rootToken: plain.rootToken, keep: true, env: { ...ISSUER, SCOPEWARD_MASTER_KEY: masterKey } })
    const events = await auditCount(reopened)
    await reopened.stop()
    const refused = await cli({}, 'keys', 'rotate', '--db', dbPath)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /SCOPEWARD_MASTER_KEY/)
    const after = await startServer({ dbPath, rootToken: plain.rootToken, env: { ...ISSUER, SCOPEWARD_MASTER_KEY: masterKey } })
    try {
      assert.deepEqual(
        (await after.app.store.listSigningKeys()).map((k) => k.kid),
        [before?.kid],
        'no key was written',
      )
      assert.equal(await auditCount(after), events, 'no audit event')
    } finally {
      await after.stop()
    }
  })
})

describe('11.5 serving without a master key warns', () => {
  test('11.5 `scopeward serve` without SCOPEWARD_MASTER_KEY prints one clear warning at start; with one, none', async () => {
    for (const masterKey of [null, randomBytes(32).toString('base64url')]) {
      const pgDatabase = process.env.SCOPEWARD_TEST_DB === 'postgres' ? await createTestDatabase() : null
      const dir = mkdtempSync(join(tmpdir(), 'scopeward-warn-'))
      const child = await startChildServer(pgDatabase?.url ?? join(dir, 'warn.db'), masterKey ? { SCOPEWARD_MASTER_KEY: masterKey } : { SCOPEWARD_MASTER_KEY: '' })
      try {
        const warnings = child.stderr().match(/WARNING: SCOPEWARD_MASTER_KEY is not set/g) ?? []
        assert.equal(warnings.length, masterKey ? 0 : 1, child.stderr())
      } finally {
        child.child.kill('SIGTERM')
        await child.exited
        rmSync(dir, { recursive: true, force: true })
        await pgDatabase?.drop()
      }
    }
  })
})
