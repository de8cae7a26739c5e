// RFC 8707 audiences: an app declares the resources its JWTs may be for; issueToken(audience) and
// /oauth/token's resource set `aud`; an undeclared audience is refused and writes nothing; a bound
// JWT is for its resource servers (/v1/verify, introspection), not for Scopeward's own API.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeJwt } from 'jose'
import { auditCount, createApp, dataOf, errorCodes, ISSUE, issue, startServer, tokenCount, type TestServer } from './harness.js'

const API = 'https://api.example.com'
const OTHER = 'https://other.example.com/v2'
const SECRET = 'mutation($appId: ID!, $scopes: [String!]) { createClientSecret(appId: $appId, scopes: $scopes) { secret } }'

describe('audiences (RFC 8707)', () => {
  let server: TestServer
  let appId: string

  const post = async (path: string, body: string, headers: Record<string, string>) => {
    const res = await server.request(path, { method: 'POST', headers, body })
    return { status: res.status, body: (await res.json()) as any }
  }
  const verify = (token: string, audience?: string) =>
    post('/v1/verify', JSON.stringify({ token, ...(audience ? { audience } : {}) }), { 'content-type': 'application/json', authorization: `Bearer ${server.rootToken}` })

  before(async () => {
    server = await startServer()
    const created = dataOf(
      await server.gql('mutation($input: CreateAppInput!) { createApp(input: $input) { id audiences } }', {
        variables: { input: { name: 'api', allowedScopes: ['tokens:read'], audiences: [API, OTHER, API] } },
      }),
    ).createApp
    assert.deepEqual(created.audiences, [API, OTHER], 'stored, duplicates dropped')
    appId = created.id
  })
  after(() => server.stop())

  test('an app refuses audiences that are not absolute URIs without a fragment, and writes nothing', async () => {
    const before = await auditCount(server)
    for (const audiences of [
      ['not a uri'],
      ['api.example.com'],
      [`${API}#frag`],
      [''],
      [`https://x/${'a'.repeat(200)}`],
      Array.from({ length: 21 }, (_, i) => `https://a${i}.example`),
    ]) {
      const answer = await server.gql('mutation($input: CreateAppInput!) { createApp(input: $input) { id } }', {
        variables: { input: { name: 'bad', allowedScopes: [], audiences } },
      })
      assert.deepEqual(errorCodes(answer), ['BAD_USER_INPUT'], audiences[0])
      assert.equal(answer.body.errors?.[0]?.extensions?.field, 'audiences')
    }
    const update = await server.gql('mutation($id: ID!) { updateApp(id: $id, input: { audiences: ["nope"] }) { id } }', { variables: { id: appId } })
    assert.deepEqual(errorCodes(update), ['BAD_USER_INPUT'])
    assert.equal(await auditCount(server), before)
  })

  test('issueToken(audience) sets the JWT’s aud and Token.audiences', async () => {
    const jwt = await issue(server, { appId, scopes: ['tokens:read'], kind: 'JWT', audience: [API] })
    assert.deepEqual(decodeJwt(jwt.secret).aud, [API])
    const read = dataOf(await server.gql('query($id: ID!) { token(id: $id) { audiences } }', { variables: { id: jwt.id } }))
    assert.deepEqual(read.token.audiences, [API])
    const plain = await issue(server, { appId, scopes: ['tokens:read'], kind: 'JWT' })
    assert.equal(decodeJwt(plain.secret).aud, `${server.url}/graphql`)
    assert.equal(dataOf(await server.gql('query($id: ID!) { token(id: $id) { audiences } }', { variables: { id: plain.id } })).token.audiences, null)
  })

  test('an undeclared audience, or one on an opaque token, is refused naming the field, and nothing is written', async () => {
    const [tokens, events] = [await tokenCount(server), await auditCount(server)]
    const undeclared = await server.gql(ISSUE, { variables: { input: { appId, name: 't', scopes: ['tokens:read'], kind: 'JWT', audience: ['https://evil.example'] } } })
    assert.deepEqual(errorCodes(undeclared), ['BAD_USER_INPUT'])
    assert.equal(undeclared.body.errors?.[0]?.extensions?.field, 'audience')
    assert.deepEqual(undeclared.body.errors?.[0]?.extensions?.undeclaredAudiences, ['https://evil.example'])
    const opaque = await server.gql(ISSUE, { variables: { input: { appId, name: 't', scopes: ['tokens:read'], audience: [API] } } })
    assert.deepEqual(errorCodes(opaque), ['BAD_USER_INPUT'])
    assert.equal(opaque.body.errors?.[0]?.extensions?.field, 'audience')
    // Another app's audience is not this app's.
    const other = await createApp(server, { name: 'other', allowedScopes: ['tokens:read'] })
    const foreign = await server.gql(ISSUE, { variables: { input: { appId: other.id, name: 't', scopes: ['tokens:read'], kind: 'JWT', audience: [API] } } })
    assert.deepEqual(errorCodes(foreign), ['BAD_USER_INPUT'])
    assert.equal(await tokenCount(server), tokens)
    assert.equal(await auditCount(server), events + 1, 'only the app created above')
  })

  test('a bound JWT is refused by Scopeward’s own API, verified for its resource servers, introspected with its aud, and revocable', async () => {
    const jwt = await issue(server, { appId, scopes: ['tokens:read'], kind: 'JWT', audience: [API] })
    assert.equal((await server.gql('{ viewer { id } }', { token: jwt.secret })).status, 401)
    assert.equal((await verify(jwt.secret)).body.code, 'VALID')
    assert.equal((await verify(jwt.secret, API)).body.code, 'VALID')
    assert.deepEqual((await verify(jwt.secret, OTHER)).body, {
      valid: false,
      code: 'WRONG_AUDIENCE',
      tokenId: null,
      appId: null,
      subject: null,
      scopes: [],
      missingScopes: [],
      ratelimit: null,
      credits: null,
    })
    // A JWT for Scopeward is not for api.example.com; an opaque token names no audience.
    const plain = await issue(server, { appId, scopes: ['tokens:read'], kind: 'JWT' })
    assert.equal((await verify(plain.secret, API)).body.code, 'WRONG_AUDIENCE')
    assert.equal((await verify(plain.secret, `${server.url}/graphql`)).body.code, 'VALID')
    const opaque = await issue(server, { appId, scopes: ['tokens:read'] })
    assert.equal((await verify(opaque.secret, API)).body.code, 'VALID')
    const introspected = await post('/oauth/introspect', new URLSearchParams({ token: jwt.secret }).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${server.rootToken}`,
    })
    assert.deepEqual([introspected.body.active, introspected.body.aud], [true, [API]])
    assert.equal((await post('/oauth/revoke', new URLSearchParams({ token: jwt.secret }).toString(), { 'content-type': 'application/x-www-form-urlencoded' })).status, 200)
    assert.equal((await verify(jwt.secret, API)).body.code, 'TOKEN_REVOKED')
  })

  test('an audience the app stops declaring stops the JWTs that name it', async () => {
    const app = await createApp(server, { name: 'shrinking', allowedScopes: ['tokens:read'] })
    dataOf(await server.gql('mutation($id: ID!) { updateApp(id: $id, input: { audiences: ["https://gone.example"] }) { id } }', { variables: { id: app.id } }))
    const jwt = await issue(server, { appId: app.id, scopes: ['tokens:read'], kind: 'JWT', audience: ['https://gone.example'] })
    assert.equal((await verify(jwt.secret)).body.code, 'VALID')
    const updated = dataOf(await server.gql('mutation($id: ID!) { updateApp(id: $id, input: { audiences: [] }) { audiences } }', { variables: { id: app.id } }))
    assert.deepEqual(updated.updateApp.audiences, [])
    assert.equal((await verify(jwt.secret)).body.code, 'WRONG_AUDIENCE')
  })

  test('/oauth/token client_credentials: resource sets aud; an undeclared one is invalid_target and issues nothing', async () => {
    const secret = dataOf(await server.gql(SECRET, { variables: { appId, scopes: ['tokens:read'] } })).createClientSecret.secret as string
    const auth = { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${appId}:${secret}`).toString('base64')}` }
    const granted = await post('/oauth/token', new URLSearchParams({ grant_type: 'client_credentials', scope: 'tokens:read', resource: OTHER }).toString(), auth)
    assert.equal(granted.status, 200, JSON.stringify(granted.body))
    assert.deepEqual(decodeJwt(granted.body.access_token).aud, [OTHER])
    assert.equal((await verify(granted.body.access_token, OTHER)).body.code, 'VALID')
    const tokens = await tokenCount(server)
    const refused = await post('/oauth/token', new URLSearchParams({ grant_type: 'client_credentials', scope: 'tokens:read', resource: 'https://evil.example' }).toString(), auth)
    assert.deepEqual([refused.status, refused.body.error], [400, 'invalid_target'])
    assert.match(refused.body.error_description, /^resource:/)
    const audienceParam = await post('/oauth/token', new URLSearchParams({ grant_type: 'client_credentials', scope: 'tokens:read', audience: API }).toString(), auth)
    assert.deepEqual([audienceParam.status, audienceParam.body.error], [400, 'invalid_request'])
    assert.equal(await tokenCount(server), tokens)
  })
})
