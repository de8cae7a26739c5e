// Two Scopeward instances on one PostgreSQL database, as behind a load balancer: what one does,
// the other sees at once (revocation, key rotation), concurrent writes keep one audit chain, and a
// lost LISTEN connection is noticed and recovered.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { decodeProtectedHeader } from 'jose'
import pg from 'pg'
import { verifyAuditChain } from '../../src/domain/verify-audit.js'
import { auditKeyOf } from '../../src/domain/audit-hash.js'
import { LISTENER_APPLICATION_NAME } from '../../src/store/pg-change-listener.js'
import { masterKeyBytes } from '../../src/tokens/seal-private-key.js'
import type { PgStore } from '../../src/store/pg-store.js'
import { dataOf, DERIVE, issue, REVOKE, startServer, type TestServer } from '../e2e/harness.js'
import { createTestDatabase, pgUnavailable } from '../store/fresh-pg-database.js'
import { waitFor } from '../wait-for.js'

const unavailable = await pgUnavailable()
if (unavailable) process.stdout.write(`# skipping the multi-instance suite: ${unavailable}\n`)

/** Identical on every instance, as docs/deployment.md asks. */
const env = { SCOPEWARD_ISSUER: 'https://auth.example.test', SCOPEWARD_MASTER_KEY: randomBytes(32).toString('base64url') }

/** Polls `check` until it holds; fails after `ms`. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  await waitFor(check, { timeoutMs: ms, intervalMs: 25, what })
}

const accepted = async (server: TestServer, secret: string) => (await server.gql('{ viewer { id } }', { token: secret })).status === 200
const jwksKids = async (server: TestServer) => ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid)
const listening = (server: TestServer) => (server.app.store as PgStore).listening()

describe('two instances on one PostgreSQL', { skip: unavailable ?? false }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let admin: pg.Client
  let a: TestServer
  let b: TestServer
  let rootToken: string
  const startA = async () => {
    a = await startServer({ dbPath: database.url, rootToken, env })
    await listening(a)
  }

  before(async () => {
    database = await createTestDatabase()
    admin = new pg.Client({ connectionString: database.url })
    await admin.connect()
    a = await startServer({ dbPath: database.url, env })
    rootToken = a.rootToken
    await listening(a)
    b = await startServer({ dbPath: database.url, rootToken, env })
    await listening(b)
  })

  after(async () => {
    await a?.stop()
    await b?.stop()
    await admin?.end()
    await database?.drop()
  })

  test('a token revoked on A is refused by B within one second', async () => {
    const token = await issue(a, { scopes: ['tokens:read'] })
    assert.equal(await accepted(b, token.secret), true)
    dataOf(await a.gql(REVOKE, { variables: { id: token.id } }))
    await within(1_000, 'B refuses the revoked token', async () => !(await accepted(b, token.secret)))
  })

  test('a token derived from a parent revoked on A is refused by B', async () => {
    const parent = await issue(a, { scopes: ['tokens:read', 'tokens:write'] })
    const child = dataOf(await b.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } })).deriveToken
    assert.equal(await accepted(b, child.secret), true)
    dataOf(await a.gql(REVOKE, { variables: { id: parent.id } }))
    await within(1_000, 'B refuses the child of a revoked parent', async () => !(await accepted(b, child.secret)))
  })

  test('18.13 a key rotated on A appears in B’s JWKS within one second, before either signs with it', async () => {
    const before = decodeProtectedHeader((await issue(b, { scopes: ['tokens:read'], kind: 'JWT' })).secret).kid
    const kid = dataOf(await a.gql('mutation { rotateSigningKey { kid } }')).rotateSigningKey.kid as string
    await within(1_000, 'the new key in B’s JWKS', async () => (await jwksKids(b)).includes(kid))
    for (const server of [a, b])
      assert.equal(decodeProtectedHeader((await issue(server, { scopes: ['tokens:read'], kind: 'JWT' })).secret).kid, before, 'pre-published: the old key still signs')
  })

  test('11.4 an emergency rotation on A signs at once on B and B refuses what the old keys signed', async () => {
    const old = await issue(b, { scopes: ['tokens:read'], kind: 'JWT' })
    assert.equal(await accepted(a, old.secret), true)
    const kid = dataOf(await a.gql('mutation { rotateSigningKey(revokeOld: true) { kid } }')).rotateSigningKey.kid as string
    await within(1_000, 'B publishes only the new key', async () => (await jwksKids(b)).join() === kid)
    assert.equal(await accepted(b, old.secret), false)
    const jwt = await issue(b, { scopes: ['tokens:read'], kind: 'JWT' })
    assert.equal(decodeProtectedHeader(jwt.secret).kid, kid, 'B signs with the key A made')
    assert.equal(await accepted(a, jwt.secret), true, 'A verifies what B signed')
  })

  test('concurrent issuances and revocations on both leave the expected rows and one intact audit chain', async () => {
    const victims = await Promise.all(Array.from({ length: 20 }, () => issue(a, { scopes: ['tokens:read'] })))
    const eventsBefore = await a.app.store.countAuditEvents({})
    const tokensBefore = await a.app.store.countTokens({ now: Date.now() })
    const results = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => issue(i % 2 ? a : b, { scopes: ['tokens:read'], name: `parallel-${i}` })),
      ...Array.from({ length: 20 }, () => issue(b, { scopes: ['tokens:read'] })),
      ...victims.map((v, i) => (i % 2 ? a : b).gql(REVOKE, { variables: { id: v.id } }).then(dataOf)),
    ])
    assert.equal(results.length, 60)
    assert.equal(await a.app.store.countTokens({ now: Date.now() }), tokensBefore + 40)
    assert.equal(await b.app.store.countAuditEvents({}), eventsBefore + 60)
    for (const v of victims) assert.notEqual((await b.app.store.getToken(v.id))?.revokedAt, null)
    const verdict = await verifyAuditChain(b.app.store, { key: auditKeyOf(masterKeyBytes(env.SCOPEWARD_MASTER_KEY)) })
    assert.equal(verdict.ok, true, JSON.stringify(verdict))
  })

  test('B keeps serving while A restarts', async () => {
    await a.stop()
    const issuedOnB = await issue(b, { scopes: ['tokens:read'] })
    assert.equal(await accepted(b, issuedOnB.secret), true)
    await startA()
    assert.equal(await accepted(a, issuedOnB.secret), true, 'the restarted A sees what B wrote meanwhile')
    const token = await issue(b, { scopes: ['tokens:read'] })
    dataOf(await b.gql(REVOKE, { variables: { id: token.id } }))
    assert.equal(await accepted(a, token.secret), false)
  })

  test('a dropped LISTEN connection on B is detected and recovered', async () => {
    // The listeners of A and B share an application_name; B's is the one that is not A's (A just restarted: stop and start it once more to be sure which is which).
    await a.stop()
    const onlyB = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [LISTENER_APPLICATION_NAME])
    assert.equal(onlyB.rows.length, 1, 'with A stopped only B listens')
    await startA()
    const pid = onlyB.rows[0]?.pid as number
    await admin.query('SELECT pg_terminate_backend($1)', [pid])
    await within(5_000, 'B listens again on a new connection', async () => {
      const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [
        LISTENER_APPLICATION_NAME,
      ])
      return rows.length === 2 && !rows.some((r) => r.pid === pid)
    })
    const kid = dataOf(await a.gql('mutation { rotateSigningKey { kid } }')).rotateSigningKey.kid as string
    await within(5_000, 'a rotation on A after the kill reaches B', async () => (await jwksKids(b)).includes(kid))
    const token = await issue(a, { scopes: ['tokens:read'] })
    dataOf(await a.gql(REVOKE, { variables: { id: token.id } }))
    assert.equal(await accepted(b, token.secret), false)
  })
})
