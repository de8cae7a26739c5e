// Privilege escalation: no token may mint, derive, rotate or configure more than it holds itself.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { CREATE_APP, createApp, dataOf, DERIVE, ISSUE, issue, ROTATE, startServer, tokenCount, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

const UPDATE_APP = `mutation Update($id: ID!, $input: UpdateAppInput!) { updateApp(id: $id, input: $input) { id allowedScopes maxTokenLifetime } }`
const CREATE_SCOPE = `mutation Scope($input: CreateScopeInput!) { createScope(input: $input) { name } }`
const APP_ROW = `query App($id: ID!) { app(id: $id) { id allowedScopes maxTokenLifetime } }`

describe('privilege escalation', () => {
  let server: TestServer
  let appA: { id: string }
  let appB: { id: string }
  /** A token of app A holding only tokens:write. */
  let writer: { secret: string; id: string }
  /** A token of app A holding only tokens:read. */
  let reader: { secret: string; id: string }

  before(async () => {
    server = await startServer()
    appA = await createApp(server, { name: 'a', allowedScopes: ['tokens:read', 'tokens:write', 'apps:read', 'apps:write', 'scopes:write'] })
    appB = await createApp(server, { name: 'b', allowedScopes: ['tokens:read', 'tokens:write'] })
    writer = await issue(server, { appId: appA.id, scopes: ['tokens:write'] })
    reader = await issue(server, { appId: appA.id, scopes: ['tokens:read'] })
  })
  after(() => server.stop())

  const issueAs = (token: string, input: Record<string, unknown>) => server.gql(ISSUE, { token, variables: { input: { name: 'x', ...input } } })

  describe('issueToken', () => {
    test('grants a scope the caller holds', async () => {
      const issued = await issue(server, { scopes: ['tokens:read'] }, writer.secret)
      assert.deepEqual(issued.token.scopes, ['tokens:read'])
      assert.equal(issued.token.app.id, appA.id)
    })

    test('refuses a scope the caller does not hold, even one the app allows, with FORBIDDEN and missingScopes', async () => {
      const { error } = await expectRefused(server, () => issueAs(writer.secret, { scopes: ['tokens:read', 'apps:read'] }), 'FORBIDDEN')
      assert.deepEqual(error.extensions?.missingScopes, ['apps:read'])
      assert.equal(error.extensions?.field, 'scopes')
    })

    test('refuses a scope outside the app ceiling with BAD_USER_INPUT and disallowedScopes, even for root', async () => {
      const { error } = await expectRefused(server, () => issueAs(server.rootToken, { appId: appB.id, scopes: ['tokens:read', 'audit:read', 'apps:read'] }), 'BAD_USER_INPUT')
      assert.deepEqual(error.extensions?.disallowedScopes, ['apps:read', 'audit:read'])
      assert.equal(error.extensions?.field, 'scopes')
    })

    test('refuses undeclared scopes naming every unknown one', async () => {
      const { error } = await expectRefused(server, () => issueAs(server.rootToken, { appId: appB.id, scopes: ['tokens:read', 'nope:one', 'nope:two'] }), 'BAD_USER_INPUT')
      assert.deepEqual(error.extensions?.unknownScopes, ['nope:one', 'nope:two'])
      assert.match(error.message, /nope:one/)
      assert.match(error.message, /nope:two/)
      assert.equal(error.extensions?.field, 'scopes')
    })

    for (const bad of ['Tokens:Read', 'tokens::read', ':tokens', 'tokens read', '*', '', 'tokens:*', `a${'b'.repeat(200)}`]) {
      test(`refuses the malformed scope name ${JSON.stringify(bad.slice(0, 20))} naming its index`, async () => {
        const { error } = await expectRefused(server, () => issueAs(server.rootToken, { appId: appB.id, scopes: ['tokens:read', bad] }), 'BAD_USER_INPUT')
        assert.equal(error.extensions?.field, 'scopes[1]')
      })
    }

    test('refuses an empty scope list', async () => {
      const { error } = await expectRefused(server, () => issueAs(server.rootToken, { appId: appB.id, scopes: [] }), 'BAD_USER_INPUT')
      assert.equal(error.extensions?.field, 'scopes')
    })

    test("answers another app's id exactly as an unknown app id (NOT_FOUND)", async () => {
      const foreign = await expectRefused(server, () => issueAs(writer.secret, { appId: appB.id, scopes: ['tokens:read'] }), 'NOT_FOUND')
      const missing = await expectRefused(server, () => issueAs(writer.secret, { appId: 'app_doesnotexist00', scopes: ['tokens:read'] }), 'NOT_FOUND')
      assert.equal(foreign.error.message.replace(appB.id, 'ID'), missing.error.message.replace('app_doesnotexist00', 'ID'))
      assert.deepEqual(Object.keys(foreign.error.extensions ?? {}).sort(), Object.keys(missing.error.extensions ?? {}).sort())
      assert.equal(foreign.result.status, missing.result.status)
      // The root token, which acts across apps, may issue for app B.
      await issue(server, { appId: appB.id, scopes: ['tokens:read'] })
    })

    test('accepts expiresIn up to the app maxTokenLifetime and refuses beyond it naming expiresIn', async () => {
      const capped = await createApp(server, { name: 'capped', allowedScopes: ['tokens:read'], maxTokenLifetime: 'P7D' })
      await issue(server, { appId: capped.id, scopes: ['tokens:read'], expiresIn: 'P7D' })
      const { error } = await expectRefused(server, () => issueAs(server.rootToken, { appId: capped.id, scopes: ['tokens:read'], expiresIn: 'P8D' }), 'BAD_USER_INPUT')
      assert.equal(error.extensions?.field, 'expiresIn')
    })

    test('refuses noExpiry when the app has a maximum lifetime, and allows it when it has none', async () => {
      const capped = await createApp(server, { name: 'capped2', allowedScopes: ['tokens:read'], maxTokenLifetime: 'P30D' })
      const { error } = await expectRefused(server, () => issueAs(server.rootToken, { appId: capped.id, scopes: ['tokens:read'], noExpiry: true }), 'BAD_USER_INPUT')
      assert.equal(error.extensions?.field, 'noExpiry')
      const forever = await issue(server, { appId: appB.id, scopes: ['tokens:read'], noExpiry: true })
      assert.equal(forever.token.expiresAt, null)
    })

    test('a default lifetime shrinks to the app maximum instead of exceeding it', async () => {
      const capped = await createApp(server, { name: 'capped3', allowedScopes: ['tokens:read'], maxTokenLifetime: 'PT1H' })
      const issued = await issue(server, { appId: capped.id, scopes: ['tokens:read'] })
      assert.ok(Date.parse(issued.token.expiresAt) <= Date.now() + 3600_000 + 5_000)
    })
  })

  describe('deriveToken', () => {
    test('narrows the caller', async () => {
      const data = dataOf(await server.gql(DERIVE, { token: writer.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } }))
      assert.deepEqual(data.deriveToken.token.scopes, ['tokens:read'])
      assert.equal(data.deriveToken.token.parent.id, writer.id)
    })

    test('refuses scopes wider than the parent with FORBIDDEN and missingScopes', async () => {
      const { error } = await expectRefused(
        server,
        () => server.gql(DERIVE, { token: reader.secret, variables: { input: { name: 'child', scopes: ['tokens:write'] } } }),
        'FORBIDDEN',
      )
      assert.deepEqual(error.extensions?.missingScopes, ['tokens:write'])
    })

    test('refuses an explicit lifetime beyond the parent expiry naming expiresIn', async () => {
      const parent = await issue(server, { appId: appA.id, scopes: ['tokens:read'], expiresIn: 'P1D' })
      const ok = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'c', scopes: ['tokens:read'], expiresIn: 'PT12H' } } }))
      assert.ok(Date.parse(ok.deriveToken.token.expiresAt) <= Date.parse(parent.token.expiresAt))
      const { error } = await expectRefused(
        server,
        () => server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'c', scopes: ['tokens:read'], expiresIn: 'P2D' } } }),
        'BAD_USER_INPUT',
      )
      assert.equal(error.extensions?.field, 'expiresIn')
    })

    test('a default lifetime never outlives the parent', async () => {
      const parent = await issue(server, { appId: appA.id, scopes: ['tokens:read'], expiresIn: 'PT1H' })
      const child = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'c', scopes: ['tokens:read'] } } }))
      assert.equal(child.deriveToken.token.expiresAt, parent.token.expiresAt)
    })
  })

  describe('apps and scopes', () => {
    let appWriter: { secret: string }
    before(async () => {
      appWriter = await issue(server, { appId: 'root', scopes: ['apps:write'] })
    })

    test('a root-app token creates an app whose ceiling it holds', async () => {
      const created = await createApp(server, { name: 'ok', allowedScopes: ['apps:read'] }, appWriter.secret)
      assert.deepEqual(created.allowedScopes, ['apps:read'])
    })

    test('createApp refuses a ceiling the caller does not hold, naming allowedScopes and missingScopes', async () => {
      const { error } = await expectRefused(
        server,
        () => server.gql(CREATE_APP, { token: appWriter.secret, variables: { input: { name: 'wide', allowedScopes: ['apps:read', 'tokens:write'] } } }),
        'FORBIDDEN',
      )
      assert.equal(error.extensions?.field, 'allowedScopes')
      assert.deepEqual(error.extensions?.missingScopes, ['tokens:write'])
    })

    test('updateApp refuses raising a ceiling beyond the caller and leaves the app unchanged', async () => {
      const target = await createApp(server, { name: 'narrow', allowedScopes: ['apps:read'] }, appWriter.secret)
      dataOf(await server.gql(UPDATE_APP, { token: appWriter.secret, variables: { id: target.id, input: { name: 'renamed' } } }))
      const before = dataOf(await server.gql(APP_ROW, { variables: { id: target.id } })).app
      const { error } = await expectRefused(
        server,
        () => server.gql(UPDATE_APP, { token: appWriter.secret, variables: { id: target.id, input: { allowedScopes: ['apps:read', 'audit:read'] } } }),
        'FORBIDDEN',
      )
      assert.deepEqual(error.extensions?.missingScopes, ['audit:read'])
      assert.deepEqual(dataOf(await server.gql(APP_ROW, { variables: { id: target.id } })).app, before)
    })

    test('a non-root token cannot raise its own app ceiling past what it holds', async () => {
      const own = await issue(server, { appId: appA.id, scopes: ['apps:write'] })
      const { error } = await expectRefused(
        server,
        () => server.gql(UPDATE_APP, { token: own.secret, variables: { id: appA.id, input: { allowedScopes: ['apps:write', 'audit:read'] } } }),
        'FORBIDDEN',
      )
      assert.deepEqual(error.extensions?.missingScopes, ['audit:read'])
    })

    test('a non-root token holding apps:write cannot create apps', async () => {
      const own = await issue(server, { appId: appA.id, scopes: ['apps:write'] })
      await expectRefused(server, () => server.gql(CREATE_APP, { token: own.secret, variables: { input: { name: 'escape', allowedScopes: ['apps:read'] } } }), 'FORBIDDEN')
    })

    test('a non-root token holding scopes:write cannot declare scopes, while root can', async () => {
      const own = await issue(server, { appId: appA.id, scopes: ['scopes:write'] })
      await expectRefused(server, () => server.gql(CREATE_SCOPE, { token: own.secret, variables: { input: { name: 'evil:scope', description: 'x', implies: [] } } }), 'FORBIDDEN')
      dataOf(await server.gql(CREATE_SCOPE, { variables: { input: { name: 'fine:scope', description: 'x' } } }))
    })

    test('a root-app token cannot declare a scope implying one it lacks (a ladder)', async () => {
      const scoper = await issue(server, { appId: 'root', scopes: ['scopes:write'] })
      const { error } = await expectRefused(
        server,
        () => server.gql(CREATE_SCOPE, { token: scoper.secret, variables: { input: { name: 'ladder', description: 'x', implies: ['tokens:write'] } } }),
        'FORBIDDEN',
      )
      assert.deepEqual(error.extensions?.missingScopes, ['tokens:write'])
    })
  })

  describe('rotateToken', () => {
    test('rotates a token within what the caller holds', async () => {
      const target = await issue(server, { appId: appA.id, scopes: ['tokens:read'] })
      const rotated = dataOf(await server.gql(ROTATE, { token: writer.secret, variables: { id: target.id } }))
      assert.notEqual(rotated.rotateToken.token.id, target.id)
    })

    test('refuses to rotate a token holding scopes the caller lacks, with FORBIDDEN and missingScopes', async () => {
      const target = await issue(server, { appId: appA.id, scopes: ['tokens:write', 'apps:read'] })
      const { error } = await expectRefused(server, () => server.gql(ROTATE, { token: writer.secret, variables: { id: target.id } }), 'FORBIDDEN')
      assert.deepEqual(error.extensions?.missingScopes, ['apps:read'])
      const still = await server.gql('{ viewer { id status } }', { token: target.secret })
      assert.deepEqual(dataOf(still).viewer, { id: target.id, status: 'ACTIVE' })
    })
  })

  describe('atomic mutations', () => {
    test('a mutation selecting an allowed and a denied field runs neither', async () => {
      const mixed = `mutation { ok: issueToken(input: { name: "ok", scopes: ["tokens:read"] }) { secret } bad: createApp(input: { name: "x", allowedScopes: [] }) { id } }`
      const { result, error } = await expectRefused(server, () => server.gql(mixed, { token: writer.secret }), 'FORBIDDEN')
      assert.equal(result.status, 403)
      assert.deepEqual(error.extensions?.missingScopes, ['apps:write'])
    })

    test('the same mutation runs both fields for a caller holding both scopes', async () => {
      const both = `mutation { ok: issueToken(input: { appId: "${appB.id}", name: "ok", scopes: ["tokens:read"] }) { secret } bad: createApp(input: { name: "x", allowedScopes: [] }) { id } }`
      const data = dataOf(await server.gql(both))
      assert.ok(data.ok.secret && data.bad.id)
    })

    test('a denied field hidden in a fragment of a mutation is still refused whole', async () => {
      const hidden = `mutation { ...F } fragment F on Mutation { issueToken(input: { name: "ok", scopes: ["tokens:read"] }) { secret } }`
      await expectRefused(server, () => server.gql(hidden, { token: reader.secret }), 'FORBIDDEN')
    })
  })

  describe('implied scopes', () => {
    test('tokens:write implies tokens:read: the holder reads tokens and may grant tokens:read', async () => {
      const listed = dataOf(await server.gql('{ tokens(first: 1) { totalCount } token(id: "nope") { id } }', { token: writer.secret }))
      assert.ok(listed.tokens.totalCount > 0)
      const issued = await issue(server, { scopes: ['tokens:read'] }, writer.secret)
      assert.deepEqual(issued.token.scopes, ['tokens:read'])
    })

    test('tokens:read does not imply tokens:write: issueToken is refused whole with 403 insufficient_scope', async () => {
      const before = await tokenCount(server)
      const { result, error } = await expectRefused(server, () => issueAs(reader.secret, { scopes: ['tokens:read'] }), 'FORBIDDEN')
      assert.equal(result.status, 403)
      assert.match(result.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope", scope="tokens:write"/)
      assert.deepEqual(error.extensions?.missingScopes, ['tokens:write'])
      assert.equal(result.body.data ?? null, null)
      assert.equal(await tokenCount(server), before)
    })
  })
})
