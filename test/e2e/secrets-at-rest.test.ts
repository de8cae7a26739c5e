// Secrets at rest: plaintext tokens exist only in the mutation response that created them.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createApp, databaseText, dataOf, DERIVE, issue, ROTATE, startServer, type TestServer } from './harness.js'

/** The plaintext and its secret part (the 32 characters after prefix and id): neither may be stored or logged. */
function secretsOf(plaintext: string): string[] {
  return [plaintext, plaintext.slice(20, 52), plaintext.slice(4, 52)]
}

describe('secrets at rest', () => {
  let server: TestServer
  const plaintexts: string[] = []

  before(async () => {
    server = await startServer()
    plaintexts.push(server.rootToken)
    const app = await createApp(server, { name: 'a', allowedScopes: ['tokens:write'] })
    const parent = await issue(server, { appId: app.id, scopes: ['tokens:write'], name: 'parent' })
    plaintexts.push(parent.secret)
    const child = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } })).deriveToken
    plaintexts.push(child.secret)
    const other = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    plaintexts.push(other.secret)
    const rotated = dataOf(await server.gql(ROTATE, { variables: { id: other.id, grace: 'PT1H' } })).rotateToken
    plaintexts.push(rotated.secret)
    const rotatedAgain = dataOf(await server.gql(ROTATE, { token: parent.secret, variables: { id: rotated.token.id } })).rotateToken
    plaintexts.push(rotatedAgain.secret)
    // Use every token, including failed attempts with near-misses, so usage and auth-failure logging run.
    for (const p of plaintexts) await server.gql('{ viewer { id } tokens(first: 1) { totalCount } }', { token: p })
    await server.gql('{ viewer { id } }', { token: parent.secret.slice(0, -1) + (parent.secret.endsWith('a') ? 'b' : 'a') })
    await server.gql('{ viewer { id } }', { token: `${parent.secret}x` })
    await server.app.usage.flush()
  })
  after(() => server.stop())

  test('all tokens were issued (the control case)', () => {
    assert.equal(plaintexts.length, 6)
    for (const p of plaintexts) assert.match(p, /^swt_[A-Za-z0-9]{54}$/)
  })

  test('the database (SQLite file and WAL, or every PostgreSQL row) never contains a plaintext token or secret', async () => {
    const bytes = await databaseText(server.dbPath)
    assert.ok(bytes.length > 0)
    for (const p of plaintexts) for (const s of secretsOf(p)) assert.ok(!bytes.includes(s), `the database contains ${s.slice(0, 8)}…`)
  })

  test('the database stores the token ids (the control: the check above can see text)', async () => {
    const bytes = await databaseText(server.dbPath)
    assert.ok(bytes.includes(plaintexts[1]?.slice(4, 20) as string))
  })

  test('the server log never contains a plaintext token or secret', () => {
    assert.ok(server.logs.length > 0)
    const log = server.logs.join('\n')
    for (const p of plaintexts) for (const s of secretsOf(p)) assert.ok(!log.includes(s), `the log contains ${s.slice(0, 8)}…`)
  })

  test('no GraphQL type exposes a secret or hash field, except IssuedToken.secret', async () => {
    const schema = dataOf(await server.gql('{ __schema { types { name kind fields { name } inputFields { name } } } }'))
    const offenders: string[] = []
    for (const type of schema.__schema.types) {
      // Mutation fields are verbs (createClientSecret): what they return is checked through its type.
      if (type.name.startsWith('__') || type.name === 'Mutation') continue
      for (const field of [...(type.fields ?? []), ...(type.inputFields ?? [])]) {
        if (/secret|hash|password|plaintext/i.test(field.name)) offenders.push(`${type.name}.${field.name}`)
      }
    }
    // AuditEvent.hash is the audit chain's link over public content (scopeward audit verify), no credential.
    assert.deepEqual(
      offenders.filter((o) => !/^Issued\w*\.secret$/.test(o) && o !== 'AuditEvent.hash'),
      [],
    )
    assert.ok(offenders.includes('IssuedToken.secret'))
  })

  test('the Token type has no field named like a secret or hash', async () => {
    const type = dataOf(await server.gql('{ __type(name: "Token") { fields { name } } }')).__type
    const names = type.fields.map((f: any) => f.name)
    assert.ok(names.includes('id'))
    assert.deepEqual(
      names.filter((n: string) => /secret|hash/i.test(n)),
      [],
    )
  })

  test('IssuedToken is reachable only from mutations', async () => {
    const schema = dataOf(await server.gql('{ __schema { queryType { fields { name type { name ofType { name ofType { name } } } } } } }'))
    const named = (t: any): string | null => t?.name ?? (t?.ofType ? named(t.ofType) : null)
    const returns = schema.__schema.queryType.fields.map((f: any) => named(f.type))
    assert.ok(!returns.some((n: string | null) => n && /^Issued/.test(n)))
  })

  test('selecting a secret on Token is a validation error', async () => {
    for (const field of ['secret', 'secretHash', 'hash']) {
      const result = await server.gql(`{ viewer { ${field} } }`)
      assert.equal(result.status, 400)
      assert.deepEqual(
        result.body.errors?.map((e) => e.extensions?.code),
        ['GRAPHQL_VALIDATION_FAILED'],
      )
    }
  })

  test('audit details never carry a secret', async () => {
    const events = dataOf(await server.gql('{ auditEvents(first: 100) { edges { node { details } } } }')).auditEvents.edges
    const text = JSON.stringify(events)
    for (const p of plaintexts) for (const s of secretsOf(p)) assert.ok(!text.includes(s))
  })
})
