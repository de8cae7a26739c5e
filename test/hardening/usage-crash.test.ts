// Usage lost to a crash (issue 18.10): an instance killed with SIGKILL loses the usage it had not
// flushed; trimToken never narrows over a window including that gap without saying so.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { auditCount, dataOf, issue, startServer } from '../e2e/harness.js'
import { expectRefused } from '../e2e/refusal.js'
import { createTestDatabase } from '../store/fresh-pg-database.js'
import { post, startChildServer } from './child-server.js'

const HOUR = 3600_000
const TRIM =
  'mutation($id: ID!, $dry: Boolean, $allow: Boolean) { trimToken(id: $id, dryRun: $dry, allowUsageGaps: $allow) { removedScopes keptScopes token { scopes } usageGaps { from to } } }'

test('18.10 a trim over a window including a crash gap is refused unless allowed, and the dry run names the gap', async () => {
  const pgDatabase = process.env.SCOPEWARD_TEST_DB === 'postgres' ? await createTestDatabase() : null
  const dir = mkdtempSync(join(tmpdir(), 'scopeward-usage-crash-'))
  const db = pgDatabase?.url ?? join(dir, 'db.sqlite')
  try {
    // A clean run: usage flushed at stop, and no gap left behind.
    const first = await startServer({ dbPath: db, keep: true })
    const t = await issue(first, { scopes: ['apps:read', 'tokens:read'] })
    dataOf(await first.gql('{ tokens(first: 1) { totalCount } }', { token: t.secret }))
    await first.stop()

    // A run killed before its usage (apps:read) was flushed.
    const crashed = await startChildServer(db, { SCOPEWARD_USAGE_FLUSH_MS: '600000' })
    assert.equal((await post(crashed.url, t.secret, '{ apps(first: 1) { totalCount } }')).status, 200)
    crashed.child.kill('SIGKILL')
    assert.equal((await crashed.exited).signal, 'SIGKILL')

    // Restarted later (its clock an hour on: the dead instance's heartbeat is stale).
    const second = await startServer({ dbPath: db, rootToken: first.rootToken, keep: true, offset: HOUR })
    try {
      const dry = dataOf(await second.gql(TRIM, { variables: { id: t.id, dry: true } })).trimToken
      assert.deepEqual(dry.removedScopes, ['apps:read'], 'the lost use makes apps:read look unused')
      assert.equal(dry.usageGaps.length, 1, 'the dry run says usage was lost')
      const report = dataOf(await second.gql('{ overPermissionedTokens(unusedFor: "P1D") { usageGaps { from to } } }')).overPermissionedTokens
      assert.deepEqual(report.usageGaps, dry.usageGaps, 'so does the report')
      const { error } = await expectRefused(second, () => second.gql(TRIM, { variables: { id: t.id } }), 'BAD_USER_INPUT')
      assert.equal(error.extensions?.field, 'unusedFor')
      assert.deepEqual(error.extensions?.usageGaps, dry.usageGaps)
      assert.deepEqual(dataOf(await second.gql(`{ token(id: "${t.id}") { scopes } }`)).token.scopes, ['apps:read', 'tokens:read'])
      // Said so and allowed: the trim goes ahead, and its audit event records the gap.
      const events = await auditCount(second)
      const trimmed = dataOf(await second.gql(TRIM, { variables: { id: t.id, allow: true } })).trimToken
      assert.deepEqual(trimmed.token.scopes, ['tokens:read'])
      assert.equal(await auditCount(second), events + 1)
      const audit = dataOf(await second.gql(`{ auditEvents(action: "token.trim", target: "${t.id}") { edges { node { details } } } }`)).auditEvents.edges
      assert.equal(audit[0].node.details.usageGaps.length, 1)
    } finally {
      await second.stop()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    if (pgDatabase) await pgDatabase.drop()
  }
})

test('18.10 a clean stop leaves no usage gap', async () => {
  const first = await startServer({ keep: true })
  const t = await issue(first, { scopes: ['apps:read', 'tokens:read'] })
  dataOf(await first.gql('{ tokens(first: 1) { totalCount } }', { token: t.secret }))
  await first.stop()
  const second = await startServer({ dbPath: first.dbPath, rootToken: first.rootToken, offset: HOUR })
  try {
    const dry = dataOf(await second.gql(TRIM, { variables: { id: t.id, dry: true } })).trimToken
    assert.deepEqual([dry.removedScopes, dry.usageGaps], [['apps:read'], []])
    assert.deepEqual(dataOf(await second.gql('{ overPermissionedTokens(unusedFor: "P1D") { usageGaps { from } } }')).overPermissionedTokens.usageGaps, [])
    assert.deepEqual(dataOf(await second.gql(TRIM, { variables: { id: t.id } })).trimToken.token.scopes, ['tokens:read'])
  } finally {
    await second.stop()
    await first.discard()
  }
})
