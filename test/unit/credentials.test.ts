// The credential parsers of src/auth/credentials.ts: every malformed input is refused with the
// OAuth error a client is owed, and each well-formed one beside it is accepted.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseBasic, parseBearer, parseOAuthCredential, requiredTokenParameter } from '../../src/auth/credentials.js'
import { OAuthError, type OAuthErrorCode } from '../../src/errors.js'

const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
const form = (entries: Record<string, string> = {}): Map<string, string> => new Map(Object.entries(entries))

function refuses(fn: () => unknown, code: OAuthErrorCode, options: { challenge?: boolean; message?: RegExp } = {}): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof OAuthError, `expected an OAuthError, got ${String(error)}`)
    assert.equal(error.code, code)
    if (options.challenge !== undefined) assert.equal(error.basicChallenge, options.challenge)
    if (options.message) assert.match(error.description, options.message)
    return true
  })
}

describe('parseBearer', () => {
  test('reads a bearer token whatever the case of the scheme, with spaces around', () => {
    for (const header of ['Bearer abc.DEF-_~+/==', 'bearer abc.DEF-_~+/==', 'BEARER   abc.DEF-_~+/==  ']) assert.equal(parseBearer(header), 'abc.DEF-_~+/==')
  })

  test('no header is undefined; anything else that is not one b64token is null', () => {
    assert.equal(parseBearer(undefined), undefined)
    for (const header of ['', 'Bearer', 'Bearer ', 'Bearer a b', 'Bearer a,b', 'Bearer "a"', 'Basic abc', 'Token abc', 'Bearer a\u0000', 'Bearer =abc', 'Bearerabc']) {
      assert.equal(parseBearer(header), null, JSON.stringify(header))
    }
  })
})

describe('parseBasic', () => {
  test('decodes id and secret, form-decoded (RFC 6749 §2.3.1): + is a space, %XX an octet, the first colon splits', () => {
    assert.deepEqual(parseBasic(basic('app_1', 'sws_s3cret')), { clientId: 'app_1', secret: 'sws_s3cret' })
    assert.deepEqual(parseBasic(basic('my+app%3A1', 'a:b%2Bc')), { clientId: 'my app:1', secret: 'a:b+c' })
  })

  test('refuses (null) a header that is not one well-formed pair', () => {
    for (const header of ['Basic', 'Basic !!!', `Basic ${Buffer.from('nocolon').toString('base64')}`, basic('%zz', 'x'), basic('a', '%E0%A4%A'), 'Bearer abc', 'Basic a b']) {
      assert.equal(parseBasic(header), null, header)
    }
  })
})

describe('parseOAuthCredential', () => {
  test('client_secret_basic, client_secret_post, a bearer token where allowed, or none', () => {
    assert.deepEqual(parseOAuthCredential(basic('app_1', 's'), form(), { allowBearer: false }), { kind: 'client', clientId: 'app_1', secret: 's', basic: true })
    assert.deepEqual(parseOAuthCredential(basic('app_1', 's'), form({ client_id: 'app_1' }), { allowBearer: false }), {
      kind: 'client',
      clientId: 'app_1',
      secret: 's',
      basic: true,
    })
    assert.deepEqual(parseOAuthCredential(undefined, form({ client_id: 'app_1', client_secret: 's' }), { allowBearer: false }), {
      kind: 'client',
      clientId: 'app_1',
      secret: 's',
      basic: false,
    })
    assert.deepEqual(parseOAuthCredential('Bearer abc', form(), { allowBearer: true }), { kind: 'bearer', presented: 'abc' })
    assert.deepEqual(parseOAuthCredential(undefined, form({ token: 'x' }), { allowBearer: true }), { kind: 'none' })
  })

  test('two client authentication methods at once are invalid_request (RFC 6749 §2.3)', () => {
    refuses(() => parseOAuthCredential(basic('app_1', 's'), form({ client_secret: 's' }), { allowBearer: false }), 'invalid_request', { message: /not both/ })
    refuses(() => parseOAuthCredential('Bearer abc', form({ client_secret: 's' }), { allowBearer: true }), 'invalid_request', { message: /not both/ })
    refuses(() => parseOAuthCredential(basic('app_1', 's'), form({ client_id: 'app_2' }), { allowBearer: false }), 'invalid_request', { message: /differs/ })
  })

  test('a malformed Basic header is invalid_client with a Basic challenge', () => {
    for (const header of ['Basic !!!', 'Basic ', `Basic ${Buffer.from('nocolon').toString('base64')}`]) {
      refuses(() => parseOAuthCredential(header, form(), { allowBearer: false }), 'invalid_client', { challenge: true })
    }
  })

  test('a malformed bearer, a bearer where none is allowed, or another scheme is invalid_client without a Basic challenge', () => {
    refuses(() => parseOAuthCredential('Bearer a b', form(), { allowBearer: true }), 'invalid_client', { challenge: false })
    refuses(() => parseOAuthCredential('Bearer abc', form(), { allowBearer: false }), 'invalid_client', { challenge: false, message: /unsupported/ })
    for (const header of ['Digest x', 'Token abc', '', 'abc'])
      refuses(() => parseOAuthCredential(header, form(), { allowBearer: true }), 'invalid_client', { message: /unsupported/ })
  })

  test('client_secret_post needs both client_id and client_secret', () => {
    refuses(() => parseOAuthCredential(undefined, form({ client_id: 'app_1' }), { allowBearer: false }), 'invalid_client', { message: /both required/ })
    refuses(() => parseOAuthCredential(undefined, form({ client_secret: 's' }), { allowBearer: false }), 'invalid_client', { message: /both required/ })
  })
})

describe('requiredTokenParameter', () => {
  test('absent or empty is invalid_request naming the parameter', () => {
    refuses(() => requiredTokenParameter(form(), 'token'), 'invalid_request', { message: /^token is required$/ })
    refuses(() => requiredTokenParameter(form({ token: '' }), 'token'), 'invalid_request')
    assert.equal(requiredTokenParameter(form({ token: 'swt_x' }), 'token'), 'swt_x')
  })
})
