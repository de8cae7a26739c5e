// Interop with code no one here wrote: openid-client v6 as the OAuth client, and jose's remote
// JWKS as a resource server verifying our JWTs offline, across a signing-key rotation.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import * as oidc from 'openid-client'
import { createClient, gqlData, graphqlStatus, startServer, type OAuthTestServer } from './harness.js'

let server: OAuthTestServer
let client: { appId: string; secret: string }
let config: oidc.Configuration

before(async () => {
  // A rotated key signs at once here (no pre-publication): this suite is about clients across a rotation; key-lifecycle.test.ts covers pre-publication.
  server = await startServer({ SCOPEWARD_KEY_ACTIVATION_DELAY: 'PT0S' })
  client = await createClient(server, 'interop', ['tokens:read', 'tokens:introspect'])
  config = await oidc.discovery(new URL(server.url), client.appId, client.secret, oidc.ClientSecretBasic(client.secret), {
    algorithm: 'oauth2',
    execute: [oidc.allowInsecureRequests],
  })
})
after(() => server.close())

/** A resource server that knows only our JWKS URL, issuer and its own audience. */
async function resourceServerVerify(token: string) {
  const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`))
  return jwtVerify(token, jwks, { issuer: server.url, audience: `${server.url}/graphql`, typ: 'at+jwt', algorithms: ['EdDSA', 'ES256', 'RS256'] })
}

describe('openid-client', () => {
  test('discovers the metadata document', () => {
    const meta = config.serverMetadata()
    assert.equal(meta.issuer, server.url)
    assert.equal(meta.token_endpoint, `${server.url}/oauth/token`)
  })

  test('client_credentials, introspection and revocation round-trip', async () => {
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'tokens:read' })
    assert.equal(tokens.token_type, 'bearer')
    assert.equal(tokens.scope, 'tokens:read')
    const active = await oidc.tokenIntrospection(config, tokens.access_token)
    assert.equal(active.active, true)
    assert.equal(active.client_id, client.appId)
    await oidc.tokenRevocation(config, tokens.access_token)
    assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false)
    assert.equal(await graphqlStatus(server, tokens.access_token), 401)
  })

  test('token exchange through genericGrantRequest', async () => {
    const subject = await oidc.clientCredentialsGrant(config, { scope: 'tokens:read tokens:introspect' })
    const exchanged = await oidc.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
      subject_token: subject.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      scope: 'tokens:read',
    })
    assert.equal(exchanged.scope, 'tokens:read')
    assert.equal(exchanged.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token')
    assert.equal(await graphqlStatus(server, exchanged.access_token), 200)
  })

  test('a wrong secret is refused as invalid_client', async () => {
    const bad = await oidc.discovery(new URL(server.url), client.appId, 'sws_wrong', oidc.ClientSecretBasic('sws_wrong'), {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    })
    // The 401 carries a Basic challenge (RFC 6749 §5.2), which openid-client surfaces as a challenge error.
    await assert.rejects(oidc.clientCredentialsGrant(bad, { scope: 'tokens:read' }), (error: any) => {
      assert.equal(error.status, 401)
      assert.equal(error.cause?.[0]?.scheme, 'basic')
      return true
    })
    const post = await oidc.discovery(new URL(server.url), client.appId, 'sws_wrong', oidc.ClientSecretPost('sws_wrong'), {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    })
    await assert.rejects(oidc.clientCredentialsGrant(post, { scope: 'tokens:read' }), (error: any) => error.error === 'invalid_client' && error.status === 401)
  })
})

describe('a resource server verifying offline, across key rotation', () => {
  test('old tokens still verify, new tokens carry the new kid, the JWKS lists both', async () => {
    const old = (await oidc.clientCredentialsGrant(config, { scope: 'tokens:read' })).access_token
    assert.equal((await resourceServerVerify(old)).payload.client_id, client.appId)
    const oldKid = decodeProtectedHeader(old).kid

    const rotated = await gqlData(server, server.rootToken, 'mutation { rotateSigningKey(alg: RS256) { kid alg status } }')
    assert.equal(rotated.rotateSigningKey.status, 'ACTIVE')
    const fresh = (await oidc.clientCredentialsGrant(config, { scope: 'tokens:read' })).access_token
    assert.equal(decodeProtectedHeader(fresh).kid, rotated.rotateSigningKey.kid)
    assert.equal(decodeProtectedHeader(fresh).alg, 'RS256')

    const { keys } = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
    assert.deepEqual(new Set(keys.map((k) => k.kid)), new Set([oldKid, rotated.rotateSigningKey.kid]))
    assert.ok(await resourceServerVerify(old))
    assert.ok(await resourceServerVerify(fresh))
    assert.equal(await graphqlStatus(server, old), 200)
    assert.equal(await graphqlStatus(server, fresh), 200)

    const listed = await gqlData(server, server.rootToken, '{ signingKeys { kid status retireAfter } }')
    const retiring = listed.signingKeys.find((k: { kid: string }) => k.kid === oldKid)
    assert.equal(retiring.status, 'RETIRING')
    assert.ok(Date.parse(retiring.retireAfter) >= Date.now() + 14 * 60_000, 'the old key verifies as long as the JWTs it signed')
  })

  test('only root-app tokens may rotate', async () => {
    const admin = await createClient(server, 'key-admin', ['keys:write', 'keys:read'])
    const cfg = await oidc.discovery(new URL(server.url), admin.appId, admin.secret, oidc.ClientSecretBasic(admin.secret), {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    })
    const jwt = (await oidc.clientCredentialsGrant(cfg, { scope: 'keys:write' })).access_token
    const before = await server.app.store.listSigningKeys()
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
      body: JSON.stringify({ query: 'mutation { rotateSigningKey { kid } }' }),
    })
    const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] }
    assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN')
    assert.deepEqual(await server.app.store.listSigningKeys(), before)
  })
})
