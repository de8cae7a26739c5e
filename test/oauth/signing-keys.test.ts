// Signing keys at rest and over time: sealed under the master key, retired once no token they
// signed can still be valid.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { decodeProtectedHeader } from 'jose'
import type { KeyRing } from '../../src/tokens/key-ring.js'
import { clientCredentialsJwt, createClient, gqlData, graphqlStatus, startServer } from './harness.js'

describe('the master key', () => {
  test('seals private keys as a dir/A256GCM JWE; without it the database holds no usable key and the server refuses to start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scopeward-keys-'))
    const dbPath = join(dir, 'keys.db')
    const masterKey = randomBytes(32).toString('base64url')
    // A fixed issuer: the restarted server listens on another port, and iss must stay the same.
    const issuer = { SCOPEWARD_ISSUER: 'http://scopeward.test' }
    try {
      const server = await startServer({ ...issuer, SCOPEWARD_MASTER_KEY: masterKey }, { dbPath })
      const client = await createClient(server, 'sealed', ['tokens:read'])
      const jwt = await clientCredentialsJwt(server, client, 'tokens:read')
      assert.equal(await graphqlStatus(server, jwt), 200)
      const [key] = await server.app.store.listSigningKeys()
      assert.ok(key)
      assert.equal(key.privateKey.split('.').length, 5)
      assert.deepEqual(decodeProtectedHeader(key.privateKey), { alg: 'dir', enc: 'A256GCM', kid: key.kid, cty: 'jwk+json' })
      assert.ok(!key.privateKey.includes('"d"'))
      await server.close()

      await assert.rejects(startServer(issuer, { dbPath }), /SCOPEWARD_MASTER_KEY/)
      await assert.rejects(startServer({ ...issuer, SCOPEWARD_MASTER_KEY: randomBytes(32).toString('base64url') }, { dbPath }), /cannot be decrypted/)
      const again = await startServer({ ...issuer, SCOPEWARD_MASTER_KEY: masterKey }, { dbPath })
      assert.equal(await graphqlStatus(again, jwt), 200, 'the same master key opens the key again')
      await again.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('without a master key the private key is stored as plain JSON', async () => {
    const server = await startServer()
    try {
      const [key] = await server.app.store.listSigningKeys()
      assert.equal(JSON.parse(key?.privateKey ?? '').kty, 'OKP')
    } finally {
      await server.close()
    }
  })
})

describe('retirement', () => {
  test('a RETIRING key becomes RETIRED after retireAfter and leaves the JWKS', async () => {
    let now = Date.now()
    const server = await startServer({}, { clock: () => now })
    try {
      const first = (await server.app.store.listSigningKeys())[0]?.kid
      await gqlData(server, server.rootToken, 'mutation { rotateSigningKey { kid } }')
      const jwks = async () => ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid)
      assert.ok((await jwks()).includes(first as string))
      // It signs until its successor activates (6 minutes), and signed no JWT: it retires 5 s after that.
      now += 6 * 60_000 + 4_000
      await (server.app.domain.keys as KeyRing).refresh()
      assert.ok((await jwks()).includes(first as string))
      now += 2_000
      assert.ok(!(await jwks()).includes(first as string), 'past its retirement the key no longer verifies, even before the store says so')
      await (server.app.domain.keys as KeyRing).refresh()
      const stored = (await server.app.store.listSigningKeys()).find((k) => k.kid === first)
      assert.equal(stored?.status, 'RETIRED')
    } finally {
      await server.close()
    }
  })
})
