// Every forged, altered or dead JWT is refused alike: 401 invalid_token on /graphql and exactly
// {"active":false} from introspection, never a 5xx, and nothing is written.
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import type { KeyRing } from '../../src/tokens/key-ring.js'
import { clientCredentialsJwt, createClient, gql, gqlData, introspect, startServer, type OAuthTestServer } from './harness.js'

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const segments = (jwt: string): [string, string, string] => jwt.split('.') as [string, string, string]

let server: OAuthTestServer
let client: { appId: string; secret: string }
/** A valid JWT; the forgeries below start from it. */
let good: string

/** Signs `payload` with `header` using the server's own ACTIVE key: proves a refusal is due to the claim, not the signature. */
async function signWithOurKey(payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const { kid, alg, key } = (server.app.domain.keys as KeyRing).activeKey()
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'at+jwt', kid, ...header }).sign(key)
}

function payloadOf(jwt: string): JWTPayload {
  return decodeJwt(jwt)
}

async function expectRefused(token: string): Promise<void> {
  const auditBefore = await server.app.store.countAuditEvents({})
  const answer = await gql(server, token, '{ viewer { id } }')
  assert.equal(answer.status, 401)
  assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)
  assert.equal(answer.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED')
  assert.deepEqual(await introspect(server, token), { active: false })
  assert.equal(await server.app.store.countAuditEvents({}), auditBefore, 'a refusal writes nothing')
}

before(async () => {
  // A rotated key signs at once here (no pre-publication): the ES256 case rotates and signs at once.
  server = await startServer({ SCOPEWARD_KEY_ACTIVATION_DELAY: 'PT0S' })
  client = await createClient(server, 'resource-client', ['tokens:read'])
  good = await clientCredentialsJwt(server, client, 'tokens:read')
})
after(() => server.close())

describe('the baseline', () => {
  test('accepts the genuine token and one re-signed unchanged with our key', async () => {
    assert.equal((await gql(server, good, '{ viewer { id } }')).status, 200)
    const resigned = await signWithOurKey(payloadOf(good))
    assert.equal((await gql(server, resigned, '{ viewer { id } }')).status, 200)
    assert.equal((await introspect(server, resigned)).active, true)
  })
})

describe('refuses', () => {
  for (const alg of ['none', 'None', 'NONE']) {
    test(`alg ${alg}, with and without a signature segment`, async () => {
      const [, payload] = segments(good)
      const { kid } = decodeProtectedHeader(good)
      await expectRefused(`${b64({ alg, typ: 'at+jwt', kid })}.${payload}.`)
      await expectRefused(`${b64({ alg, typ: 'at+jwt', kid })}.${payload}.AAAA`)
    })
  }

  test('a header without alg', async () => {
    const [, payload, signature] = segments(good)
    await expectRefused(`${b64({ typ: 'at+jwt', kid: decodeProtectedHeader(good).kid })}.${payload}.${signature}`)
  })

  test('HS256 signed with our public key bytes as the secret (key confusion)', async () => {
    const [, payload] = segments(good)
    const jwk = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string; x: string }[] }
    const ours = jwk.keys[0] as { kid: string; x: string }
    for (const secret of [Buffer.from(ours.x, 'base64url'), Buffer.from(JSON.stringify(ours))]) {
      const head = b64({ alg: 'HS256', typ: 'at+jwt', kid: ours.kid })
      const mac = createHmac('sha256', secret).update(`${head}.${payload}`).digest('base64url')
      await expectRefused(`${head}.${payload}.${mac}`)
    }
  })

  test('a tampered payload (scope widened)', async () => {
    const [header, , signature] = segments(good)
    await expectRefused(`${header}.${b64({ ...payloadOf(good), scope: 'tokens:read tokens:write' })}.${signature}`)
  })

  test('a stripped or truncated signature', async () => {
    const [header, payload, signature] = segments(good)
    await expectRefused(`${header}.${payload}.`)
    await expectRefused(`${header}.${payload}.${signature.slice(0, 20)}`)
  })

  test('a foreign key signing under our kid', async () => {
    const foreign = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    const { kid } = decodeProtectedHeader(good)
    await expectRefused(await new SignJWT(payloadOf(good)).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: kid as string }).sign(foreign.privateKey))
  })

  for (const kid of ['unknown-kid', '', '../../etc/passwd', "' OR 1=1--", 'x'.repeat(2000)]) {
    test(`kid ${JSON.stringify(kid.slice(0, 20))}`, async () => {
      const foreign = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
      await expectRefused(await new SignJWT(payloadOf(good)).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid }).sign(foreign.privateKey))
    })
  }

  test('a non-string or missing kid', async () => {
    const [, payload, signature] = segments(good)
    await expectRefused(`${b64({ alg: 'EdDSA', typ: 'at+jwt', kid: 42 })}.${payload}.${signature}`)
    await expectRefused(`${b64({ alg: 'EdDSA', typ: 'at+jwt' })}.${payload}.${signature}`)
  })

  for (const name of ['jku', 'x5u', 'jwk', 'x5c']) {
    test(`a ${name} header, even on a token our key signed`, async () => {
      const foreign = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
      const values: Record<string, unknown> = {
        jku: 'http://127.0.0.1:1/jwks.json',
        x5u: 'http://127.0.0.1:1/cert.pem',
        jwk: await exportJWK(foreign.publicKey),
        x5c: ['MIIB'],
      }
      await expectRefused(await signWithOurKey(payloadOf(good), { [name]: values[name] }))
    })
  }

  for (const typ of [undefined, 'JWT', 'at+JWT+x', 'id_token']) {
    test(`typ ${String(typ)}`, async () => {
      const { kid, alg, key } = (server.app.domain.keys as KeyRing).activeKey()
      await expectRefused(await new SignJWT(payloadOf(good)).setProtectedHeader({ alg, kid, ...(typ ? { typ } : {}) }).sign(key))
    })
  }

  test('a wrong iss', async () => {
    await expectRefused(await signWithOurKey({ ...payloadOf(good), iss: 'https://evil.example' }))
  })

  test('a wrong, missing or foreign-only aud', async () => {
    await expectRefused(await signWithOurKey({ ...payloadOf(good), aud: 'https://other.example/api' }))
    await expectRefused(await signWithOurKey({ ...payloadOf(good), aud: ['https://other.example/api'] }))
  })

  test('an expired token, and one expiring now', async () => {
    const now = Math.floor(Date.now() / 1000)
    await expectRefused(await signWithOurKey({ ...payloadOf(good), iat: now - 600, nbf: now - 600, exp: now - 60 }))
    await expectRefused(await signWithOurKey({ ...payloadOf(good), exp: now - 6 }))
  })

  test('nbf in the future beyond the clock tolerance', async () => {
    await expectRefused(await signWithOurKey({ ...payloadOf(good), nbf: Math.floor(Date.now() / 1000) + 120 }))
  })

  for (const claim of ['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sub', 'client_id', 'scope']) {
    test(`a token missing ${claim}`, async () => {
      const { [claim]: _dropped, ...rest } = payloadOf(good)
      await expectRefused(await signWithOurKey(rest))
    })
  }

  test('claims of the wrong type (string exp, array scope, numeric jti)', async () => {
    await expectRefused(await signWithOurKey({ ...payloadOf(good), exp: String(payloadOf(good).exp) } as unknown as JWTPayload))
    await expectRefused(await signWithOurKey({ ...payloadOf(good), scope: ['tokens:read'] }))
    await expectRefused(await signWithOurKey({ ...payloadOf(good), jti: 12345 } as unknown as JWTPayload))
  })

  test('a jti with no token row', async () => {
    await expectRefused(await signWithOurKey({ ...payloadOf(good), jti: 'AAAAAAAAAAAAAAAA' }))
  })

  test('two and four segments', async () => {
    const [header, payload, signature] = segments(good)
    await expectRefused(`${header}.${payload}`)
    await expectRefused(`${header}.${payload}.${signature}.${signature}`)
    await expectRefused(`${header}.${payload}.${signature}.${signature}.${signature}`)
  })

  test('bad base64url (padding, +, /, non-JSON header, non-object payload)', async () => {
    const [header, payload, signature] = segments(good)
    await expectRefused(`${header}=.${payload}.${signature}`)
    await expectRefused(`${header}.${payload}.${signature.replace(/-|_|[a-z]/, '+')}/`)
    await expectRefused(`${b64('not json')}.${payload}.${signature}`)
    await expectRefused(`${header}.${b64('[1,2,3]')}.${signature}`)
  })

  test('an oversized token, without parsing it', async () => {
    const [header, payload, signature] = segments(good)
    await expectRefused(`${header}.${payload}${'A'.repeat(5000)}.${signature}`)
  })

  test('an ES256 signature of zeros (CVE-2022-21449 "psychic signatures")', async () => {
    await gqlData(server, server.rootToken, 'mutation { rotateSigningKey(alg: ES256) { kid } }')
    const es = await clientCredentialsJwt(server, client, 'tokens:read')
    assert.equal(decodeProtectedHeader(es).alg, 'ES256')
    assert.equal((await gql(server, es, '{ viewer { id } }')).status, 200)
    const [header, payload] = segments(es)
    await expectRefused(`${header}.${payload}.${Buffer.alloc(64).toString('base64url')}`)
    await expectRefused(`${header}.${payload}.${Buffer.alloc(70).toString('base64url')}`)
  })

  test('a validly signed token whose client_id is not the app of its jti row', async () => {
    const other = await createClient(server, 'other-app', ['tokens:read'])
    await expectRefused(await signWithOurKey({ ...payloadOf(good), client_id: other.appId }))
  })

  test('a revoked jti, though its signature is fine', async () => {
    const jwt = await clientCredentialsJwt(server, client, 'tokens:read')
    await gqlData(server, server.rootToken, 'mutation($id: ID!) { revokeToken(id: $id) { id } }', { id: payloadOf(jwt).jti })
    await expectRefused(jwt)
  })

  test('a revoked jti is refused on the very next request even after its signature was verified and cached', async () => {
    const jwt = await clientCredentialsJwt(server, client, 'tokens:read')
    for (let i = 0; i < 3; i++) assert.equal((await gql(server, jwt, '{ viewer { id } }')).status, 200)
    await gqlData(server, server.rootToken, 'mutation($id: ID!) { revokeToken(id: $id) { id } }', { id: payloadOf(jwt).jti })
    await expectRefused(jwt)
  })

  test('a token of a disabled app', async () => {
    const other = await createClient(server, 'soon-disabled', ['tokens:read'])
    const jwt = await clientCredentialsJwt(server, other, 'tokens:read')
    assert.equal((await gql(server, jwt, '{ viewer { id } }')).status, 200)
    await gqlData(server, server.rootToken, 'mutation($id: ID!) { disableApp(id: $id) { id } }', { id: other.appId })
    await expectRefused(jwt)
  })
})
