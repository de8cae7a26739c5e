// The OAuth endpoints as a client sees them: client secrets, grants, introspection, revocation,
// metadata, and the refusals of each, every one with its exact error code and nothing changed.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeJwt } from 'jose'
import { basic, clientCredentialsJwt, createClient, gql, gqlData, graphqlStatus, introspect, postForm, startServer, type OAuthTestServer } from './harness.js'

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token'

let server: OAuthTestServer
let client: { appId: string; secretId: string; secret: string }

before(async () => {
  server = await startServer()
  client = await createClient(server, 'svc', ['tokens:read', 'tokens:introspect', 'apps:read'])
})
after(() => server.close())

const audits = () => server.app.store.countAuditEvents({})
const tokens = () => server.app.store.countTokens({ now: Date.now() })

/** Runs `act`, asserting it answers `status` with `error` and changes neither tokens nor the audit log. */
async function expectOAuthError(act: () => Promise<{ status: number; body: any; headers: Headers }>, status: number, error: string): Promise<Headers> {
  const [a, t] = [await audits(), await tokens()]
  const answer = await act()
  assert.equal(answer.status, status, JSON.stringify(answer.body))
  assert.equal(answer.body.error, error)
  assert.equal(typeof answer.body.error_description, 'string')
  assert.equal(await audits(), a)
  assert.equal(await tokens(), t)
  return answer.headers
}

describe('client_credentials', () => {
  test('issues a JWT with the scopes asked for, by Basic or by form', async () => {
    for (const headers of [basic(client.appId, client.secret), {}]) {
      const form = {
        grant_type: 'client_credentials',
        scope: 'tokens:read',
        ...(Object.keys(headers).length === 0 ? { client_id: client.appId, client_secret: client.secret } : {}),
      }
      const answer = await postForm(server, '/oauth/token', form, headers)
      assert.equal(answer.status, 200)
      assert.equal(answer.headers.get('cache-control'), 'no-store')
      assert.equal(answer.body.token_type, 'Bearer')
      assert.equal(answer.body.scope, 'tokens:read')
      assert.ok(answer.body.expires_in > 890 && answer.body.expires_in <= 900)
      const claims = decodeJwt(answer.body.access_token)
      assert.equal(claims.client_id, client.appId)
      assert.equal(claims.sub, client.appId)
      assert.equal(claims.aud, `${server.url}/graphql`)
      const row = await server.app.store.getToken(claims.jti as string)
      assert.equal(row?.kind, 'JWT')
      assert.equal(row?.createdBy, `client_secret:${client.secretId}`) // 11.10: the secret is the actor
    }
  })

  test('refuses a scope outside the app with invalid_scope, and a missing scope too', async () => {
    await expectOAuthError(
      () => postForm(server, '/oauth/token', { grant_type: 'client_credentials', scope: 'tokens:write' }, basic(client.appId, client.secret)),
      400,
      'invalid_scope',
    )
    await expectOAuthError(() => postForm(server, '/oauth/token', { grant_type: 'client_credentials', scope: 'no:such' }, basic(client.appId, client.secret)), 400, 'invalid_scope')
    await expectOAuthError(() => postForm(server, '/oauth/token', { grant_type: 'client_credentials' }, basic(client.appId, client.secret)), 400, 'invalid_scope')
  })

  test('refuses a wrong secret with invalid_client and a Basic challenge', async () => {
    const wrong = client.secret.slice(0, -8) + 'AAAAAAAA'
    const headers = await expectOAuthError(
      () => postForm(server, '/oauth/token', { grant_type: 'client_credentials', scope: 'tokens:read' }, basic(client.appId, wrong)),
      401,
      'invalid_client',
    )
    assert.match(headers.get('www-authenticate') ?? '', /^Basic realm="scopeward"/)
    const form = await expectOAuthError(
      () => postForm(server, '/oauth/token', { grant_type: 'client_credentials', scope: 'tokens:read', client_id: client.appId, client_secret: wrong }),
      401,
      'invalid_client',
    )
    assert.equal(form.get('www-authenticate'), null)
  })

  test("refuses another app's secret and a missing client", async () => {
    const other = await createClient(server, 'other', ['tokens:read'])
    await expectOAuthError(
      () => postForm(server, '/oauth/token', { grant_type: 'client_credentials', scope: 'tokens:read' }, basic(client.appId, other.secret)),
      401,
      'invalid_client',
    )
    await expectOAuthError(() => postForm(server, '/oauth/token', { grant_type: 'client_credentials', scope: 'tokens:read' }), 401, 'invalid_client')
  })

  test('refuses Basic and form credentials together', async () => {
    await expectOAuthError(
      () => postForm(server, '/oauth/token', { grant_type: 'client_credentials', scope: 'tokens:read', client_secret: client.secret }, basic(client.appId, client.secret)),
      400,
      'invalid_request',
    )
  })

  test('refuses a revoked secret, while a second secret of the app keeps working', async () => {
    const second = await gqlData(server, server.rootToken, 'mutation($a: ID!) { createClientSecret(appId: $a) { id secret } }', { a: client.appId })
    const revoked = await gqlData(server, server.rootToken, 'mutation($id: ID!) { revokeClientSecret(id: $id) { id revokedAt } }', { id: second.createClientSecret.id })
    assert.ok(revoked.revokeClientSecret.revokedAt)
    await expectOAuthError(
      () => postForm(server, '/oauth/token', { grant_type: 'client_credentials', scope: 'tokens:read' }, basic(client.appId, second.createClientSecret.secret)),
      401,
      'invalid_client',
    )
    assert.ok(await clientCredentialsJwt(server, client, 'tokens:read'))
  })

  test('refuses an unknown grant type and a missing one', async () => {
    await expectOAuthError(
      () => postForm(server, '/oauth/token', { grant_type: 'password', username: 'a', password: 'b' }, basic(client.appId, client.secret)),
      400,
      'unsupported_grant_type',
    )
    await expectOAuthError(() => postForm(server, '/oauth/token', { scope: 'tokens:read' }, basic(client.appId, client.secret)), 400, 'invalid_request')
  })
})

describe('client secrets over GraphQL', () => {
  test("a non-root app's token cannot make secrets for another app: NOT_FOUND", async () => {
    const admin = await createClient(server, 'self-admin', ['apps:write', 'apps:read'])
    const jwt = await clientCredentialsJwt(server, admin, 'apps:write')
    const own = await gql(server, jwt, 'mutation($a: ID!) { createClientSecret(appId: $a) { id secret } }', { a: admin.appId })
    assert.match(own.body.data.createClientSecret.secret, /^sws_[A-Za-z0-9]{54}$/)
    const a = await audits()
    const foreign = await gql(server, jwt, 'mutation($a: ID!) { createClientSecret(appId: $a) { id secret } }', { a: client.appId })
    assert.equal(foreign.body.errors?.[0]?.extensions?.code, 'NOT_FOUND')
    const revoke = await gql(server, jwt, 'mutation($id: ID!) { revokeClientSecret(id: $id) { id } }', { id: client.secretId })
    assert.equal(revoke.body.errors?.[0]?.extensions?.code, 'NOT_FOUND')
    assert.equal(await audits(), a)
  })

  test('stores only a hash of the secret', async () => {
    const row = await server.app.store.getClientSecret(client.secretId)
    assert.ok(row && !client.secret.includes(row.secretHash) && row.secretHash.length === 64)
  })
})

describe('introspection', () => {
  test('answers an active token with its claims, to its own app and to root', async () => {
    const jwt = await clientCredentialsJwt(server, client, 'tokens:read')
    const own = await postForm(server, '/oauth/introspect', { token: jwt }, basic(client.appId, client.secret))
    assert.equal(own.body.active, true)
    assert.equal(own.body.client_id, client.appId)
    assert.equal(own.body.scope, 'tokens:read')
    assert.equal(own.body.jti, decodeJwt(jwt).jti)
    assert.equal(own.body.iss, server.url)
    assert.equal(own.body.token_type, 'Bearer')
    assert.equal((await introspect(server, server.rootToken)).active, true)
  })

  test("answers exactly {active:false} for another app's token", async () => {
    const other = await createClient(server, 'other-2', ['tokens:read'])
    const jwt = await clientCredentialsJwt(server, other, 'tokens:read')
    const answer = await postForm(server, '/oauth/introspect', { token: jwt }, basic(client.appId, client.secret))
    assert.deepEqual(answer.body, { active: false })
    assert.deepEqual((await postForm(server, '/oauth/introspect', { token: server.rootToken }, basic(client.appId, client.secret))).body, { active: false })
  })

  test('answers {active:false} for unknown and malformed tokens', async () => {
    for (const token of ['swt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'garbage', 'a.b.c', 'x'.repeat(5000)]) {
      assert.deepEqual((await postForm(server, '/oauth/introspect', { token }, basic(client.appId, client.secret))).body, { active: false })
    }
  })

  test('accepts a bearer token holding tokens:introspect and refuses one without it', async () => {
    const introspector = await clientCredentialsJwt(server, client, 'tokens:introspect')
    const jwt = await clientCredentialsJwt(server, client, 'tokens:read')
    assert.equal((await postForm(server, '/oauth/introspect', { token: jwt }, { authorization: `Bearer ${introspector}` })).body.active, true)
    await expectOAuthError(() => postForm(server, '/oauth/introspect', { token: jwt }, { authorization: `Bearer ${jwt}` }), 403, 'insufficient_scope')
  })

  test('refuses an unauthenticated caller and a bad bearer with 401 invalid_client', async () => {
    await expectOAuthError(() => postForm(server, '/oauth/introspect', { token: server.rootToken }), 401, 'invalid_client')
    await expectOAuthError(() => postForm(server, '/oauth/introspect', { token: server.rootToken }, { authorization: 'Bearer nope' }), 401, 'invalid_client')
  })
})

describe('revocation', () => {
  test('a token revokes itself without client authentication, and its children with it', async () => {
    const parent = await clientCredentialsJwt(server, client, 'tokens:read tokens:introspect')
    const child = await postForm(server, '/oauth/token', { grant_type: EXCHANGE, subject_token: parent, subject_token_type: ACCESS_TOKEN, scope: 'tokens:read' })
    assert.equal(child.status, 200, JSON.stringify(child.body))
    const answer = await postForm(server, '/oauth/revoke', { token: parent, token_type_hint: 'refresh_token' })
    assert.equal(answer.status, 200)
    assert.equal(await graphqlStatus(server, parent), 401)
    assert.equal(await graphqlStatus(server, child.body.access_token), 401)
    const row = await server.app.store.getToken(decodeJwt(child.body.access_token).jti as string)
    assert.ok(row?.revokedAt)
  })

  test('answers 200 for an unknown token and changes nothing', async () => {
    const [a, t] = [await audits(), await tokens()]
    assert.equal((await postForm(server, '/oauth/revoke', { token: 'swt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status, 200)
    assert.equal((await postForm(server, '/oauth/revoke', { token: 'not.a.token' })).status, 200)
    assert.equal(await audits(), a)
    assert.equal(await tokens(), t)
  })

  test('refuses bad client credentials even with a valid token, which stays valid', async () => {
    const jwt = await clientCredentialsJwt(server, client, 'tokens:read')
    await expectOAuthError(() => postForm(server, '/oauth/revoke', { token: jwt }, basic(client.appId, 'sws_wrong')), 401, 'invalid_client')
    assert.equal(await graphqlStatus(server, jwt), 200)
  })
})

describe('token exchange', () => {
  test('narrows a token into a child JWT that never outlives it, with an act claim for the actor', async () => {
    const opaque = await gqlData(server, server.rootToken, 'mutation($i: IssueTokenInput!) { issueToken(input: $i) { secret token { id } } }', {
      i: { appId: client.appId, name: 'short', scopes: ['tokens:read', 'apps:read'], expiresIn: 'PT5M' },
    })
    const actor = await clientCredentialsJwt(server, client, 'tokens:read')
    const answer = await postForm(
      server,
      '/oauth/token',
      { grant_type: EXCHANGE, subject_token: opaque.issueToken.secret, subject_token_type: ACCESS_TOKEN, scope: 'apps:read', actor_token: actor, actor_token_type: ACCESS_TOKEN },
      basic(client.appId, client.secret),
    )
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    assert.equal(answer.body.issued_token_type, ACCESS_TOKEN)
    assert.equal(answer.body.scope, 'apps:read')
    assert.ok(answer.body.expires_in <= 300)
    const claims = decodeJwt(answer.body.access_token)
    assert.deepEqual(claims.act, { sub: client.appId, client_id: client.appId })
    assert.equal((await server.app.store.getToken(claims.jti as string))?.parentId, opaque.issueToken.token.id)
  })

  test('refuses a wider scope with invalid_scope', async () => {
    const subject = await clientCredentialsJwt(server, client, 'tokens:read')
    await expectOAuthError(
      () => postForm(server, '/oauth/token', { grant_type: EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN, scope: 'tokens:introspect' }),
      400,
      'invalid_scope',
    )
  })

  test('refuses a dead subject token with invalid_grant and a bad type with invalid_request', async () => {
    await expectOAuthError(() => postForm(server, '/oauth/token', { grant_type: EXCHANGE, subject_token: 'garbage', subject_token_type: ACCESS_TOKEN }), 400, 'invalid_grant')
    const subject = await clientCredentialsJwt(server, client, 'tokens:read')
    await expectOAuthError(
      () => postForm(server, '/oauth/token', { grant_type: EXCHANGE, subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }),
      400,
      'invalid_request',
    )
    await expectOAuthError(
      () =>
        postForm(server, '/oauth/token', {
          grant_type: EXCHANGE,
          subject_token: subject,
          subject_token_type: ACCESS_TOKEN,
          requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
        }),
      400,
      'invalid_request',
    )
  })

  test("refuses another app's subject token when a client authenticates", async () => {
    const other = await createClient(server, 'other-3', ['tokens:read'])
    const subject = await clientCredentialsJwt(server, other, 'tokens:read')
    await expectOAuthError(
      () => postForm(server, '/oauth/token', { grant_type: EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN }, basic(client.appId, client.secret)),
      400,
      'invalid_grant',
    )
  })
})

describe('malformed requests on every OAuth endpoint', () => {
  for (const path of ['/oauth/token', '/oauth/introspect', '/oauth/revoke']) {
    test(`${path}: wrong content type, oversized body, repeated parameter, bad Basic`, async () => {
      const json = async () => {
        const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"x"}' })
        return { status: res.status, headers: res.headers, body: await res.json() }
      }
      await expectOAuthError(json, 400, 'invalid_request')
      await expectOAuthError(() => postForm(server, path, `token=${'a'.repeat(20_000)}`), 400, 'invalid_request')
      await expectOAuthError(() => postForm(server, path, 'token=a&token=b&grant_type=client_credentials&grant_type=client_credentials'), 400, 'invalid_request')
      await expectOAuthError(() => postForm(server, path, 'token=%FF%FE&grant_type=%FF'), 400, 'invalid_request')
      await expectOAuthError(() => postForm(server, path, { token: 'a', grant_type: 'client_credentials' }, { authorization: 'Basic !!!' }), 401, 'invalid_client')
    })
  }
})

describe('well-known documents', () => {
  test('the metadata document names our endpoints under the issuer', async () => {
    const res = await fetch(`${server.url}/.well-known/oauth-authorization-server`)
    const meta = (await res.json()) as Record<string, unknown>
    assert.equal(meta.issuer, server.url)
    assert.equal(meta.token_endpoint, `${server.url}/oauth/token`)
    assert.deepEqual(meta.response_types_supported, [])
    assert.ok((meta.grant_types_supported as string[]).includes(EXCHANGE))
  })

  test('the JWKS publishes public members only', async () => {
    const res = await fetch(`${server.url}/.well-known/jwks.json`)
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300')
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] }
    assert.ok(keys.length >= 1)
    for (const key of keys) {
      assert.equal(key.use, 'sig')
      for (const member of Object.keys(key)) assert.ok(['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use'].includes(member), member)
    }
  })
})
