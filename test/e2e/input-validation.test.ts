// Input validation: every string argument obeys one rule (domain/validate.ts), on SQLite and on
// PostgreSQL (SCOPEWARD_TEST_DB=postgres); date-times are RFC 3339 only; page sizes are 1..100.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auditCount, dataOf, issue, REVOKE, startServer, type GraphQLResult, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

const BULK = 'mutation Bulk($filter: RevokeTokensFilter!, $reason: String) { revokeTokens(filter: $filter, reason: $reason) { revokedIds } }'

/** No log line of level error (50) or above: a client's mistake is not the server's error. */
function assertNoErrorLogs(server: TestServer, since: number): void {
  const errors = server.logs.slice(since).filter((line) => (JSON.parse(line) as { level: number }).level >= 50)
  assert.deepEqual(errors, [], 'bad input was logged as an error')
}

describe('input validation', () => {
  let server: TestServer
  let victim: { id: string; secret: string }
  before(async () => {
    server = await startServer()
    victim = await issue(server, { scopes: ['tokens:read'] })
  })
  after(() => server.stop())

  /** Refused with BAD_USER_INPUT naming `field`, nothing written, the victim still active, no error log. */
  async function refused(attempt: () => Promise<GraphQLResult>, field: string): Promise<void> {
    const logs = server.logs.length
    const { error } = await expectRefused(server, attempt, 'BAD_USER_INPUT')
    assert.equal(error.extensions?.field, field, JSON.stringify(error))
    assert.ok(error.message.startsWith(`${field}:`), `the message names ${field}: ${error.message}`)
    const status = dataOf(await server.gql(`{ token(id: "${victim.id}") { status } }`)).token.status
    assert.equal(status, 'ACTIVE', 'the refused request revoked a token')
    assertNoErrorLogs(server, logs)
  }

  test('11.7 revokeTokens refuses a reason with escape characters or newlines, or over 500 characters, and revokes nothing', async () => {
    const filter = { appId: 'root' }
    await refused(() => server.gql(BULK, { variables: { filter, reason: 'ok\u001b[2J' } }), 'reason')
    await refused(() => server.gql(BULK, { variables: { filter, reason: 'line one\nforged log line' } }), 'reason')
    await refused(() => server.gql(BULK, { variables: { filter, reason: 'x'.repeat(90_000) } }), 'reason')
  })

  test('11.7 revokeTokens refuses a scope filter that is not a scope name, and revokes nothing', async () => {
    await refused(() => server.gql(BULK, { variables: { filter: { scope: 'tokens:read\n' } } }), 'filter.scope')
    await refused(() => server.gql(BULK, { variables: { filter: { scope: 'Tokens Read' } } }), 'filter.scope')
    await refused(() => server.gql(BULK, { variables: { filter: { scope: 'x'.repeat(5000) } } }), 'filter.scope')
  })

  test('11.7 every string argument gets the same rule: control characters and oversized strings are refused wherever they appear', async () => {
    await refused(() => server.gql('query Q($s: String) { tokens(subject: $s) { totalCount } }', { variables: { s: 'a\u0007b' } }), 'subject')
    await refused(() => server.gql('query Q($a: String) { auditEvents(action: $a) { totalCount } }', { variables: { a: 'token.revoke\r\n' } }), 'action')
    await refused(() => server.gql(REVOKE, { variables: { id: 'x'.repeat(5000) } }), 'id')
    await refused(
      () => server.gql('mutation M($i: IssueTokenInput!) { issueToken(input: $i) { secret } }', { variables: { i: { name: 'n', scopes: ['tokens:read', 'a\tb'] } } }),
      'scopes[1]',
    )
    await refused(() => server.gql('query { token(id: "abc\\u001b") { id } }'), 'id')
  })

  test('11.7 GraphQL documents keep their layout: newlines and tabs in requiredScopes(document) and forOperations are accepted', async () => {
    const document = 'query {\n\ttokens(first: 1) { totalCount }\n}'
    assert.deepEqual(dataOf(await server.gql('query Q($d: String!) { requiredScopes(document: $d) }', { variables: { d: document } })).requiredScopes, [['tokens:read']])
    const issued = await issue(server, { forOperations: [document] })
    assert.deepEqual(issued.token.scopes, ['tokens:read'])
    await refused(() => server.gql('query Q($d: String!) { requiredScopes(document: $d) }', { variables: { d: 'query { viewer { id } }\u0000' } }), 'document')
  })

  test('11.8 a NUL character in any ID or String argument is BAD_USER_INPUT, never INTERNAL_SERVER_ERROR', async () => {
    await refused(() => server.gql('query Q($id: ID!) { token(id: $id) { id } }', { variables: { id: `${victim.id}\u0000` } }), 'id')
    await refused(() => server.gql('query { token(id: "a\\u0000b") { id } }'), 'id')
    await refused(() => server.gql(REVOKE, { variables: { id: `${victim.id}\u0000` } }), 'id')
    await refused(() => server.gql(REVOKE, { variables: { id: victim.id, reason: 'a\u0000' } }), 'reason')
    await refused(() => server.gql('mutation M($i: CreateAppInput!) { createApp(input: $i) { id } }', { variables: { i: { name: 'a\u0000b', allowedScopes: [] } } }), 'name')
    await refused(() => server.gql('query Q($a: ID) { auditEvents(actor: $a) { totalCount } }', { variables: { a: '\u0000' } }), 'actor')
    await refused(() => server.gql('query Q($a: ID) { tokens(appId: $a) { totalCount } }', { variables: { a: 'root\u0000' } }), 'appId')
  })

  test('11.8 an unpaired UTF-16 surrogate in any ID or String argument is BAD_USER_INPUT', async () => {
    await refused(() => server.gql('query Q($id: ID!) { token(id: $id) { id } }', { variables: { id: '\ud800' } }), 'id')
    await refused(() => server.gql('mutation M($i: CreateAppInput!) { createApp(input: $i) { id } }', { variables: { i: { name: 'app\udc00', allowedScopes: [] } } }), 'name')
    await refused(() => server.gql(BULK, { variables: { filter: { appId: 'root' }, reason: 'r\ud83d' } }), 'reason')
    // A well-formed pair (an emoji) is text like any other.
    const app = dataOf(await server.gql('mutation M($i: CreateAppInput!) { createApp(input: $i) { name } }', { variables: { i: { name: 'app \ud83d\ude00', allowedScopes: [] } } }))
    assert.equal(app.createApp.name, 'app \ud83d\ude00')
  })

  test('11.8 a NUL character in an OAuth form parameter is invalid_request, never a 500', async () => {
    for (const [path, body] of [
      ['/oauth/token', 'grant_type=client_credentials&scope=tokens%3Aread&client_id=root%00&client_secret=x'],
      [
        '/oauth/token',
        `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=${victim.secret}%00&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token`,
      ],
      ['/oauth/introspect', 'token=a%00b'],
      ['/oauth/revoke', 'token=%00'],
    ] as const) {
      const logs = server.logs.length
      const audits = await auditCount(server)
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${server.rootToken}` },
        body,
      })
      assert.equal(res.status, 400, `${path} ${body}`)
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_request')
      assert.equal(await auditCount(server), audits)
      assertNoErrorLogs(server, logs)
    }
  })

  test('18.12 DateTime inputs are RFC 3339 only: a bare year, Feb 30 or a missing offset is BAD_USER_INPUT', async () => {
    for (const from of ['2030', '2030-02-30T00:00:00Z', '2030-01-01T00:00:00', '2030-01-01', 'Tue, 01 Jan 2030 00:00:00 GMT']) {
      await refused(() => server.gql('query Q($f: DateTime) { auditEvents(from: $f) { totalCount } }', { variables: { f: from } }), 'from')
    }
    await refused(() => server.gql(BULK, { variables: { filter: { createdBefore: '2099' } } }), 'filter.createdBefore')
    await refused(() => server.gql(BULK, { variables: { filter: { createdBefore: '2099-02-30T00:00:00Z' } } }), 'filter.createdBefore')
    const all = dataOf(await server.gql('{ auditEvents(from: "2000-01-01T01:00:00+01:00") { totalCount } }')).auditEvents.totalCount
    assert.ok(all > 0)
    assert.equal(dataOf(await server.gql('{ auditEvents(from: "2999-12-31T23:59:59.999Z") { totalCount } }')).auditEvents.totalCount, 0)
  })

  test('18.12 overPermissionedTokens refuses first outside 1..100 (no endless hasNextPage, no page over the limit)', async () => {
    for (const first of [0, -1, 101, 150]) {
      await refused(() => server.gql('query Q($n: Int) { overPermissionedTokens(unusedFor: "P1D", first: $n) { pageInfo { hasNextPage } } }', { variables: { n: first } }), 'first')
    }
    const page = dataOf(await server.gql('{ overPermissionedTokens(unusedFor: "P1D", first: 100) { edges { cursor } } }'))
    assert.ok(page.overPermissionedTokens.edges.length <= 100)
  })
})
