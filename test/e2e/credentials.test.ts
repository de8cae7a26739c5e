// Boundaries and credentials (issue 11 items 1, 2, 10; issue 18 item 7): minting a credential is
// granting, a subject confines every mutation, a client secret is the actor of what it issues, and
// every path to another token's metadata needs tokens:read. Each attack is refused with its documented
// code and changes nothing: no token, no client secret, no audit event.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { auditCount, createApp, dataOf, DERIVE, issue, ROTATE, runSql, startServer, tokenCount, type TestServer } from './harness.js'
import { expectRefused, onlyError } from './refusal.js'

const CREATE_SECRET = 'mutation($appId: ID!, $scopes: [String!]) { createClientSecret(appId: $appId, scopes: $scopes) { id appId scopes secret } }'
const REVOKE_SECRET = 'mutation($id: ID!) { revokeClientSecret(id: $id) { id revokedAt } }'
const UPDATE_APP = 'mutation($id: ID!, $input: UpdateAppInput!) { updateApp(id: $id, input: $input) { id } }'
const DISABLE_APP = 'mutation($id: ID!) { disableApp(id: $id) { id } }'
const APP = 'query($id: ID!) { app(id: $id) { id name description allowedScopes disabledAt } }'
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token'

interface FormAnswer {
  status: number
  body: any
}

describe('boundaries and credentials', () => {
  let server: TestServer
  let appA: { id: string }

  before(async () => {
    server = await startServer()
    appA = await createApp(server, { name: 'a', allowedScopes: ['tokens:read', 'tokens:write', 'tokens:introspect', 'apps:read', 'apps:write'] })
  })
  after(() => server.stop())

  const post = async (path: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<FormAnswer> => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    })
    return { status: res.status, body: await res.json() }
  }
  const basic = (clientId: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` })
  const grant = (appId: string, secret: string, scope: string) => post('/oauth/token', { grant_type: 'client_credentials', scope }, basic(appId, secret))
  const secretCount = async () => {
    const { rows } = await server.app.store.listApps({ limit: 1000 })
    let n = 0
    for (const app of rows) n += (await server.app.store.listClientSecrets(app.id)).length
    return n
  }
  const createSecret = async (appId: string, token: string, scopes?: string[]) =>
    dataOf(await server.gql(CREATE_SECRET, { token, variables: { appId, scopes } })).createClientSecret

  /** Runs `attempt` and asserts it changed nothing: no token, no client secret, no audit event. */
  async function unchanged<T>(attempt: () => Promise<T>): Promise<T> {
    const before = [await auditCount(server), await tokenCount(server), await secretCount()]
    const result = await attempt()
    assert.deepEqual(
      [await auditCount(server), await tokenCount(server), await secretCount()],
      before,
      'a refused request changed something (audit events, tokens, client secrets)',
    )
    return result
  }
  const refusedGql = (attempt: () => Promise<Awaited<ReturnType<TestServer['gql']>>>, code: string) => unchanged(async () => (await expectRefused(server, attempt, code)).error)
  async function refusedOAuth(attempt: () => Promise<FormAnswer>, status: number, error: string): Promise<FormAnswer> {
    const answer = await unchanged(attempt)
    assert.equal(answer.status, status, JSON.stringify(answer.body))
    assert.equal(answer.body.error, error, JSON.stringify(answer.body))
    assert.equal(typeof answer.body.error_description, 'string')
    return answer
  }

  describe('11.1 minting a credential is granting', () => {
    test('11.1 an apps:write root-app token mints a client secret that grants nothing beyond apps:write', async () => {
      const appsWriter = await issue(server, { appId: 'root', scopes: ['apps:write'] })
      const secret = await createSecret('root', appsWriter.secret)
      assert.deepEqual(secret.scopes, ['apps:read', 'apps:write'])
      for (const scope of ['keys:write', 'scopes:write', 'audit:read', 'tokens:write', 'apps:write keys:read']) {
        const answer = await refusedOAuth(() => grant('root', secret.secret, scope), 400, 'invalid_scope')
        assert.match(answer.body.error_description, /client secret does not allow/)
      }
      const ok = await grant('root', secret.secret, 'apps:write')
      assert.equal(ok.status, 200, JSON.stringify(ok.body))
      assert.equal(ok.body.scope, 'apps:write')
    })

    test('11.1 createClientSecret refuses a ceiling its caller could not grant (FORBIDDEN, missingScopes)', async () => {
      const appsWriter = await issue(server, { appId: appA.id, scopes: ['apps:write'] })
      const error = await refusedGql(
        () => server.gql(CREATE_SECRET, { token: appsWriter.secret, variables: { appId: appA.id, scopes: ['apps:read', 'tokens:write'] } }),
        'FORBIDDEN',
      )
      assert.deepEqual(error.extensions?.missingScopes, ['tokens:write'])
      assert.equal(error.extensions?.field, 'scopes')
    })

    test("11.1 createClientSecret refuses a ceiling outside the app's (BAD_USER_INPUT, disallowedScopes), and undeclared scopes", async () => {
      const outside = await refusedGql(() => server.gql(CREATE_SECRET, { variables: { appId: appA.id, scopes: ['tokens:read', 'keys:write'] } }), 'BAD_USER_INPUT')
      assert.deepEqual(outside.extensions?.disallowedScopes, ['keys:write'])
      const unknown = await refusedGql(() => server.gql(CREATE_SECRET, { variables: { appId: appA.id, scopes: ['nope:nope'] } }), 'BAD_USER_INPUT')
      assert.deepEqual(unknown.extensions?.unknownScopes, ['nope:nope'])
    })

    test('11.1 a token that could grant nothing the app allows cannot mint a secret', async () => {
      const appB = await createApp(server, { name: 'b', allowedScopes: ['tokens:read'] })
      const appsWriter = await issue(server, { appId: 'root', scopes: ['apps:write'] })
      const error = await refusedGql(() => server.gql(CREATE_SECRET, { token: appsWriter.secret, variables: { appId: appB.id } }), 'BAD_USER_INPUT')
      assert.equal(error.extensions?.field, 'scopes')
    })

    test('11.1 an explicit ceiling bounds the grant, and the default is exactly what the creator could grant for the app', async () => {
      const narrow = await createSecret(appA.id, server.rootToken, ['tokens:read'])
      assert.deepEqual(narrow.scopes, ['tokens:read'])
      await refusedOAuth(() => grant(appA.id, narrow.secret, 'tokens:write'), 400, 'invalid_scope')
      assert.equal((await grant(appA.id, narrow.secret, 'tokens:read')).status, 200)
      const byRoot = await createSecret(appA.id, server.rootToken)
      assert.deepEqual(byRoot.scopes, ['apps:read', 'apps:write', 'tokens:introspect', 'tokens:read', 'tokens:write'])
    })

    test("11.1 a grant stays within the app's current ceiling: narrowing the app narrows its secrets", async () => {
      const app = await createApp(server, { name: 'narrowed', allowedScopes: ['tokens:read', 'tokens:write'] })
      const secret = await createSecret(app.id, server.rootToken)
      dataOf(await server.gql(UPDATE_APP, { variables: { id: app.id, input: { allowedScopes: ['tokens:read'] } } }))
      await refusedOAuth(() => grant(app.id, secret.secret, 'tokens:write'), 400, 'invalid_scope')
    })

    test('11.1 a secret created before ceilings existed (scopes null) grants nothing and introspects nothing', async () => {
      const legacy = await createSecret(appA.id, server.rootToken)
      await runSql(server.dbPath, `UPDATE client_secrets SET scopes = NULL WHERE id = '${legacy.id}'`)
      const answer = await refusedOAuth(() => grant(appA.id, legacy.secret, 'tokens:read'), 400, 'invalid_scope')
      assert.match(answer.body.error_description, /predates per-secret scope ceilings/)
      const jwt = (await grant(appA.id, (await createSecret(appA.id, server.rootToken)).secret, 'tokens:read')).body.access_token as string
      await refusedOAuth(() => post('/oauth/introspect', { token: jwt }, basic(appA.id, legacy.secret)), 403, 'insufficient_scope')
    })

    test('11.1 a client secret introspects only when its ceiling holds tokens:introspect', async () => {
      const jwt = (await grant(appA.id, (await createSecret(appA.id, server.rootToken, ['tokens:read'])).secret, 'tokens:read')).body.access_token as string
      const without = await createSecret(appA.id, server.rootToken, ['tokens:read'])
      await refusedOAuth(() => post('/oauth/introspect', { token: jwt }, basic(appA.id, without.secret)), 403, 'insufficient_scope')
      const withIt = await createSecret(appA.id, server.rootToken, ['tokens:introspect'])
      const answer = await post('/oauth/introspect', { token: jwt }, basic(appA.id, withIt.secret))
      assert.equal(answer.body.active, true)
    })

    test('11.1 token exchange cannot widen the subject token', async () => {
      const reader = await issue(server, { appId: appA.id, scopes: ['tokens:read'] })
      await refusedOAuth(
        () => post('/oauth/token', { grant_type: EXCHANGE, subject_token: reader.secret, subject_token_type: ACCESS_TOKEN, scope: 'tokens:write' }),
        400,
        'invalid_scope',
      )
      const client = await createSecret(appA.id, server.rootToken)
      await refusedOAuth(
        () =>
          post(
            '/oauth/token',
            { grant_type: EXCHANGE, subject_token: reader.secret, subject_token_type: ACCESS_TOKEN, scope: 'tokens:read tokens:introspect' },
            basic(appA.id, client.secret),
          ),
        400,
        'invalid_scope',
      )
    })

    test('11.1 rotateToken cannot hand its caller a stronger secret', async () => {
      const writer = await issue(server, { appId: 'root', scopes: ['tokens:write'] })
      const error = await refusedGql(() => server.gql(ROTATE, { token: writer.secret, variables: { id: server.rootToken.slice(4, 20) } }), 'FORBIDDEN')
      assert.ok((error.extensions?.missingScopes as string[]).includes('keys:write'))
    })

    test('11.1 deriveToken cannot widen its caller', async () => {
      const reader = await issue(server, { appId: 'root', scopes: ['tokens:read'] })
      const error = await refusedGql(() => server.gql(DERIVE, { token: reader.secret, variables: { input: { name: 'c', scopes: ['tokens:read', 'apps:write'] } } }), 'FORBIDDEN')
      assert.deepEqual(error.extensions?.missingScopes, ['apps:write'])
    })
  })

  describe('11.2 a subject is a boundary for every mutation', () => {
    let alice: { secret: string; id: string }
    let rootAlice: { secret: string; id: string }
    let secretOfA: { id: string }

    before(async () => {
      alice = await issue(server, { appId: appA.id, subject: 'alice', scopes: ['apps:write', 'tokens:write'] })
      rootAlice = await issue(server, { appId: 'root', subject: 'alice', scopes: ['apps:write', 'tokens:write', 'scopes:write', 'keys:write', 'audit:read'] })
      secretOfA = await createSecret(appA.id, server.rootToken)
    })

    test('11.2 a subject-bound token cannot createClientSecret, for its own app or the root app', async () => {
      await refusedGql(() => server.gql(CREATE_SECRET, { token: alice.secret, variables: { appId: appA.id } }), 'NOT_FOUND')
      await refusedGql(() => server.gql(CREATE_SECRET, { token: rootAlice.secret, variables: { appId: 'root' } }), 'NOT_FOUND')
      await refusedGql(() => server.gql(CREATE_SECRET, { token: rootAlice.secret, variables: { appId: appA.id } }), 'NOT_FOUND')
    })

    test('11.2 a subject-bound token cannot revokeClientSecret', async () => {
      await refusedGql(() => server.gql(REVOKE_SECRET, { token: alice.secret, variables: { id: secretOfA.id } }), 'NOT_FOUND')
      await refusedGql(() => server.gql(REVOKE_SECRET, { token: rootAlice.secret, variables: { id: secretOfA.id } }), 'NOT_FOUND')
      assert.equal((await server.app.store.getClientSecret(secretOfA.id))?.revokedAt, null)
    })

    test('11.2 a subject-bound token cannot updateApp or disableApp, answered as if the app did not exist', async () => {
      const before = dataOf(await server.gql(APP, { variables: { id: appA.id } })).app
      for (const token of [alice.secret, rootAlice.secret]) {
        const update = await refusedGql(() => server.gql(UPDATE_APP, { token, variables: { id: appA.id, input: { name: 'mine', allowedScopes: ['tokens:read'] } } }), 'NOT_FOUND')
        const missing = onlyError(await server.gql(UPDATE_APP, { variables: { id: 'app_doesnotexist00', input: { name: 'x' } } }), 'NOT_FOUND')
        assert.equal(update.message.replace(appA.id, 'ID'), missing.message.replace('app_doesnotexist00', 'ID'))
        await refusedGql(() => server.gql(DISABLE_APP, { token, variables: { id: appA.id } }), 'NOT_FOUND')
      }
      assert.deepEqual(dataOf(await server.gql(APP, { variables: { id: appA.id } })).app, before)
    })

    test('11.2 a root-app subject token cannot createApp, createScope or rotateSigningKey', async () => {
      const keys = dataOf(await server.gql('{ signingKeys { kid status } }')).signingKeys
      await refusedGql(() => server.gql('mutation { createApp(input: { name: "x", allowedScopes: ["tokens:read"] }) { id } }', { token: rootAlice.secret }), 'FORBIDDEN')
      await refusedGql(() => server.gql('mutation { createScope(input: { name: "alice:thing", description: "x" }) { name } }', { token: rootAlice.secret }), 'FORBIDDEN')
      await refusedGql(() => server.gql('mutation { rotateSigningKey { kid } }', { token: rootAlice.secret }), 'FORBIDDEN')
      assert.deepEqual(dataOf(await server.gql('{ signingKeys { kid status } }')).signingKeys, keys)
      assert.equal(
        dataOf(await server.gql('{ scopes { name } }')).scopes.some((s: { name: string }) => s.name === 'alice:thing'),
        false,
      )
    })

    test('11.2 a token without a subject still administers its app', async () => {
      const admin = await issue(server, { appId: appA.id, scopes: ['apps:write', 'tokens:read'] })
      assert.equal(dataOf(await server.gql(UPDATE_APP, { token: admin.secret, variables: { id: appA.id, input: { description: 'ok' } } })).updateApp.id, appA.id)
      const secret = await createSecret(appA.id, admin.secret)
      assert.deepEqual(secret.scopes, ['apps:read', 'apps:write', 'tokens:read'])
    })
  })

  describe('11.10 client secrets are actors, and a subject never passes for an app', () => {
    test('11.10 a client_credentials token records the secret that issued it, as creator and audit actor', async () => {
      const secret = await createSecret(appA.id, server.rootToken, ['tokens:read'])
      const answer = await grant(appA.id, secret.secret, 'tokens:read')
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      const jti = JSON.parse(Buffer.from((answer.body.access_token as string).split('.')[1] as string, 'base64url').toString()).jti as string
      const token = dataOf(await server.gql('query($id: ID!) { token(id: $id) { id createdBy { id } createdByCredential } }', { variables: { id: jti } })).token
      assert.deepEqual(token, { id: jti, createdBy: null, createdByCredential: secret.id })
      const events = dataOf(await server.gql('query($t: String) { auditEvents(target: $t) { edges { node { actor action } } } }', { variables: { t: jti } })).auditEvents.edges
      assert.deepEqual(
        events.map((e: any) => e.node),
        [{ actor: `client_secret:${secret.id}`, action: 'token.client_credentials' }],
      )
    })

    for (const subject of ['root', 'app_0123456789abcdef', 'APP_A']) {
      test(`11.10 the subject ${JSON.stringify(subject)} is refused: it would collide with an app id in a JWT's sub`, async () => {
        const value = subject === 'APP_A' ? appA.id : subject
        const error = await refusedGql(
          () => server.gql('mutation($s: String) { issueToken(input: { name: "x", subject: $s, scopes: ["tokens:read"], kind: JWT }) { secret } }', { variables: { s: value } }),
          'BAD_USER_INPUT',
        )
        assert.equal(error.extensions?.field, 'subject')
        assert.match(error.message, /reserved/)
      })
    }
  })

  test('11.10 a subject set to "root" before the rule (in the database) is not passed on by deriveToken or token exchange', async () => {
    const legacy = await issue(server, { appId: appA.id, subject: 'legacy', scopes: ['tokens:read'] })
    await runSql(server.dbPath, `UPDATE tokens SET subject = 'root' WHERE id = '${legacy.id}'`)
    const error = await refusedGql(() => server.gql(DERIVE, { token: legacy.secret, variables: { input: { name: 'c', scopes: ['tokens:read'], kind: 'JWT' } } }), 'BAD_USER_INPUT')
    assert.equal(error.extensions?.field, 'subject')
    await refusedOAuth(() => post('/oauth/token', { grant_type: EXCHANGE, subject_token: legacy.secret, subject_token_type: ACCESS_TOKEN }), 400, 'invalid_request')
  })

  describe("18.7 every path to another token's metadata needs tokens:read", () => {
    test('18.7 a token without tokens:read reads neither viewer.createdBy nor viewer.parent', async () => {
      const parent = await issue(server, { appId: 'root', scopes: ['apps:read', 'tokens:read'] })
      const child = dataOf(await server.gql('mutation { deriveToken(input: { name: "c", scopes: ["apps:read"] }) { secret } }', { token: parent.secret })).deriveToken
        .secret as string
      // A selection of the id and name only (read without the whole row) is refused alike.
      for (const field of ['createdBy', 'parent'])
        for (const selection of ['id name scopes createdBy { id }', 'id name']) {
          const answer = await server.gql(`{ viewer { id ${field} { ${selection} } } }`, { token: child })
          const error = onlyError(answer, 'FORBIDDEN')
          assert.deepEqual(error.path, ['viewer', field])
          assert.equal(answer.body.data?.viewer?.[field], null)
        }
    })

    test('18.7 with tokens:read, viewer.parent and createdBy answer like token(id:)', async () => {
      const parent = await issue(server, { appId: 'root', scopes: ['tokens:read'] })
      const child = dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'c', scopes: ['tokens:read'] } } })).deriveToken.secret as string
      const viewer = dataOf(await server.gql('{ viewer { parent { id } createdBy { id createdBy { id } } } }', { token: child })).viewer
      assert.equal(viewer.parent.id, parent.id)
      assert.equal(viewer.createdBy.id, parent.id)
      assert.equal(viewer.createdBy.createdBy.id, server.rootToken.slice(4, 20))
    })

    test('18.7 a mutation selecting parent without tokens:read is refused whole and writes nothing', async () => {
      const holder = await issue(server, { appId: 'root', scopes: ['apps:read'] })
      await refusedGql(
        () => server.gql('mutation { deriveToken(input: { name: "c", scopes: ["apps:read"] }) { token { id parent { id } createdBy { id } } } }', { token: holder.secret }),
        'FORBIDDEN',
      )
    })
  })
})
