// 11.18: a full secret pasted where an id is expected is resolved by its hash (or named nowhere);
// no response, log line, audit event or CLI output ever contains it.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { checksum } from '../../src/tokens/opaque-token.js'
import { auditCount, dataOf, issue, REVOKE, ROTATE, startServer, type GraphQLResult, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

const ROOT = resolve(import.meta.dirname, '../..')

/** The same token id with another secret and a valid checksum: passes the shape check, fails the hash. */
function forged(secret: string): string {
  const body = `${secret.slice(0, 20)}${'Z'.repeat(32)}`
  return body + checksum(body)
}

/** The secret part of a credential: what must appear nowhere. */
const secretPart = (credential: string): string => credential.slice(20, 52)

function assertNowhere(server: TestServer, result: GraphQLResult | string, secret: string): void {
  const text = typeof result === 'string' ? result : JSON.stringify(result.body)
  assert.ok(!text.includes(secretPart(secret)), `the secret came back: ${text.slice(0, 300)}`)
  assert.ok(!server.logs.some((line) => line.includes(secretPart(secret))), 'the secret was logged')
}

describe('11.18 no error, log or response echoes a secret', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  test('11.18 revokeToken(id: <full opaque token>) resolves it by its hash and revokes it; the audit event names the id only', async () => {
    const t = await issue(server, { scopes: ['tokens:read'] })
    const result = await server.gql(REVOKE, { variables: { id: t.secret, reason: 'pasted' } })
    assert.equal(dataOf(result).revokeToken.id, t.id)
    assert.equal(dataOf(result).revokeToken.status, 'REVOKED')
    const events = await server.app.store.listAuditEvents({ target: t.id, action: 'token.revoke', limit: 10 })
    assert.equal(events.rows.length, 1)
    assert.ok(!JSON.stringify(await server.app.store.listAuditEvents({ limit: 100 })).includes(secretPart(t.secret)), 'the audit log holds the secret')
    assertNowhere(server, result, t.secret)
  })

  test('11.18 token(id), rotateToken(id) and trimToken(id) accept the full token too', async () => {
    const t = await issue(server, { scopes: ['tokens:read'] })
    assert.equal(dataOf(await server.gql('query Q($id: ID!) { token(id: $id) { id } }', { variables: { id: t.secret } })).token.id, t.id)
    const dry = await server.gql('mutation T($id: ID!) { trimToken(id: $id, dryRun: true) { token { id } } }', { variables: { id: t.secret } })
    assert.equal(dataOf(dry).trimToken.token.id, t.id)
    const rotated = await server.gql(ROTATE, { variables: { id: t.secret } })
    assert.notEqual(dataOf(rotated).rotateToken.token.id, t.id)
    assertNowhere(server, dry, t.secret)
  })

  test('11.18 a pasted token with a wrong secret names nothing: NOT_FOUND without the secret, nothing changed', async () => {
    const t = await issue(server, { scopes: ['tokens:read'] })
    const fake = forged(t.secret)
    for (const mutation of [REVOKE, ROTATE, 'mutation T($id: ID!) { trimToken(id: $id) { token { id } } }']) {
      const { error, result } = await expectRefused(server, () => server.gql(mutation, { variables: { id: fake } }), 'NOT_FOUND')
      assert.ok(!error.message.includes(secretPart(fake)), error.message)
      assertNowhere(server, result, fake)
    }
    assert.equal(dataOf(await server.gql('query Q($id: ID!) { token(id: $id) { id } }', { variables: { id: fake } })).token, null)
    assert.equal(dataOf(await server.gql(`{ token(id: "${t.id}") { status } }`)).token.status, 'ACTIVE')
  })

  test('11.18 a token of another app pasted by a non-root caller is NOT_FOUND without the secret', async () => {
    const app = dataOf(await server.gql('mutation { createApp(input: {name: "other", allowedScopes: ["tokens:write"]}) { id } }')).createApp
    const caller = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const victim = await issue(server, { scopes: ['tokens:read'] })
    const { error, result } = await expectRefused(server, () => server.gql(REVOKE, { token: caller.secret, variables: { id: victim.secret } }), 'NOT_FOUND')
    assert.ok(!error.message.includes(secretPart(victim.secret)))
    assertNowhere(server, result, victim.secret)
  })

  test('11.18 a secret in the wrong argument (a validation error quoting the value) is not echoed', async () => {
    const t = await issue(server, { scopes: ['tokens:read'] })
    const audits = await auditCount(server)
    const wrongType = await server.gql(`{ tokens(first: "${t.secret}") { totalCount } }`)
    assert.equal(wrongType.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED')
    assertNowhere(server, wrongType, t.secret)
    const badDuration = await server.gql(ROTATE, { variables: { id: t.id, grace: t.secret } })
    assert.equal(badDuration.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT')
    assertNowhere(server, badDuration, t.secret)
    assert.equal(await auditCount(server), audits)
  })

  test('11.18 a secret pasted into the URL path is not echoed by the 404 nor logged', async () => {
    const t = await issue(server, { scopes: ['tokens:read'] })
    const res = await fetch(`${server.url}/tokens/${t.secret}`)
    assert.equal(res.status, 404)
    assertNowhere(server, await res.text(), t.secret)
  })

  test('11.18 revokeClientSecret(id: <full client secret>) resolves it; a wrong one is NOT_FOUND without the secret', async () => {
    const created = dataOf(await server.gql('mutation { createClientSecret(appId: "root") { id secret } }')).createClientSecret
    const fake = forged(created.secret)
    const { result } = await expectRefused(server, () => server.gql('mutation R($id: ID!) { revokeClientSecret(id: $id) { id } }', { variables: { id: fake } }), 'NOT_FOUND')
    assertNowhere(server, result, fake)
    const revoked = await server.gql('mutation R($id: ID!) { revokeClientSecret(id: $id) { id revokedAt } }', { variables: { id: created.secret } })
    assert.equal(dataOf(revoked).revokeClientSecret.id, created.id)
    assert.ok(dataOf(revoked).revokeClientSecret.revokedAt)
    assertNowhere(server, revoked, created.secret)
  })

  test('11.18 the CLI never prints a pasted secret: token revoke with a wrong secret, and a usage error quoting it', async () => {
    const t = await issue(server, { scopes: ['tokens:read'] })
    const fake = forged(t.secret)
    const run = (...args: string[]) =>
      new Promise<{ code: number; out: string }>((done) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', 'src/cli/main.ts', ...args],
          { cwd: ROOT, env: { ...process.env, SCOPEWARD_DB: server.dbPath }, timeout: 30_000 },
          (error, stdout, stderr) => {
            done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout + stderr })
          },
        )
      })
    const notFound = await run('token', 'revoke', fake)
    assert.equal(notFound.code, 1, notFound.out)
    assert.ok(!notFound.out.includes(secretPart(fake)), notFound.out)
    const usage = await run('token', 'list', t.secret)
    assert.equal(usage.code, 2, usage.out)
    assert.ok(!usage.out.includes(secretPart(t.secret)), usage.out)
    const revoked = await run('token', 'revoke', t.secret)
    assert.equal(revoked.code, 0, revoked.out)
    assert.ok(revoked.out.includes(t.id) && !revoked.out.includes(secretPart(t.secret)), revoked.out)
  })
})
