// The Fastify hook and the Apollo context helper of scopeward/verify, over a verifier whose answers
// the test chooses (the verifier itself meets a real server in test/e2e/verify-library.test.ts):
// each answer becomes the right refusal, and nothing unverified gets through.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import Fastify from 'fastify'
import { verifyContext, verifyHook, VerifierError, type Verification, type Verifier } from '../../src/verify/index.js'

const answer = (over: Partial<Verification>): Verification => ({
  valid: true,
  code: 'VALID',
  tokenId: 'T000000000000000',
  appId: 'app_x',
  subject: null,
  scopes: ['a:read'],
  missingScopes: [],
  ratelimit: null,
  credits: null,
  source: 'remote',
  ...over,
})

/** A verifier answering by token text, recording what it was asked. */
function scripted(asked: { token: string; clientAddress?: string | undefined }[] = []): Verifier {
  const answers: Record<string, Verification | Error> = {
    good: answer({}),
    revoked: answer({ valid: false, code: 'TOKEN_REVOKED', tokenId: null, appId: null, scopes: [] }),
    weak: answer({ valid: false, code: 'INSUFFICIENT_SCOPE', missingScopes: ['a:write'] }),
    spent: answer({ valid: false, code: 'RATE_LIMITED', retryAfter: 7 }),
    down: new VerifierError('Scopeward is unreachable'),
  }
  return {
    verify(token, options) {
      asked.push({ token, clientAddress: options?.clientAddress })
      const a = answers[token]
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a ?? answer({ valid: false, code: 'TOKEN_UNKNOWN' }))
    },
  }
}

describe('verifyHook (Fastify)', () => {
  test('each verification becomes its answer; a valid one reaches the handler with request.auth', async () => {
    const asked: { token: string; clientAddress?: string | undefined }[] = []
    const app = Fastify()
    app.decorateRequest('auth', null)
    app.get('/x', { onRequest: verifyHook(scripted(asked), { requiredScopes: [['a:read']] }) }, (request) => ({
      auth: (request as unknown as { auth: Verification }).auth.tokenId,
    }))
    const call = (authorization?: string) => app.inject({ method: 'GET', url: '/x', headers: authorization ? { authorization } : {} })
    const ok = await call('Bearer good')
    assert.deepEqual([ok.statusCode, ok.json()], [200, { auth: 'T000000000000000' }])
    assert.equal(asked[0]?.clientAddress, '127.0.0.1')
    const cases: [string | undefined, number, string | undefined][] = [
      [undefined, 401, 'Bearer'],
      ['Basic abc', 401, 'Bearer'],
      ['Bearer revoked', 401, 'Bearer error="invalid_token"'],
      ['Bearer weak', 403, 'Bearer error="insufficient_scope", scope="a:write"'],
      ['Bearer spent', 429, undefined],
      ['Bearer down', 503, undefined],
    ]
    for (const [authorization, status, challenge] of cases) {
      const res = await call(authorization)
      assert.equal(res.statusCode, status, authorization)
      assert.equal(res.headers['www-authenticate'], challenge, authorization)
    }
    assert.equal((await call('Bearer spent')).headers['retry-after'], '7')
    await app.close()
  })
})

describe('verifyContext (Apollo Server)', () => {
  test('gives { auth }: the verification, or null without a token; an unreachable Scopeward is an error, never an anonymous pass', async () => {
    const context = verifyContext(scripted())
    const req = (authorization?: string) => ({ req: { headers: authorization ? { authorization } : {}, socket: { remoteAddress: '::ffff:10.0.0.1' } } })
    assert.deepEqual(await context(req()), { auth: null })
    assert.equal((await context(req('Bearer good'))).auth?.valid, true)
    assert.equal((await context(req('Bearer revoked'))).auth?.code, 'TOKEN_REVOKED')
    await assert.rejects(context(req('Bearer down')), VerifierError)
    const asked: { token: string; clientAddress?: string | undefined }[] = []
    await verifyContext(scripted(asked))(req('Bearer good'))
    assert.equal(asked[0]?.clientAddress, '10.0.0.1', 'an IPv4-mapped address is passed as IPv4')
  })
})
