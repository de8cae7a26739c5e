// The one error table (src/errors.ts) and the one mapping (src/error-responses.ts): every class
// answers with its code and status, internal and unknown errors are masked, docs/errors.md agrees.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { OperationTooLargeError, ScopeDirectiveBuildError } from '../../src/directives/index.js'
import { answerFor, graphqlErrorBody, isClientGraphQLCode, oauthErrorBody, toOAuthError } from '../../src/error-responses.js'
import { BodyError, ERROR_CODES, OAuthError, RateLimited, ScopewardError, badInput, notFound, type AnyErrorCode } from '../../src/errors.js'
import { StaleRead } from '../../src/domain/write-guard.js'
import { EmptiedTokensError } from '../../src/errors.js'
import { KeyWriteRefused } from '../../src/store/store.js'
import { SealedKeyError } from '../../src/tokens/seal-private-key.js'

describe('the error table', () => {
  test('docs/errors.md lists every code with its status, and no other', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    const rows = [...doc.matchAll(/^\| `([^`]+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])])
    assert.deepEqual(
      rows,
      Object.entries(ERROR_CODES).map(([code, e]) => [code, e.status]),
    )
  })

  test('every error class the server throws on purpose is a ScopewardError with a code of the table', () => {
    const errors: ScopewardError[] = [
      badInput('name', 'name: required'),
      notFound('app', 'app_x'),
      new StaleRead('token "x"'),
      new OAuthError('invalid_client', 'client authentication failed'),
      new RateLimited(3),
      new BodyError(413, 'too big'),
      new EmptiedTokensError(['a']),
      new KeyWriteRefused('sealed'),
      new SealedKeyError('sealed'),
    ]
    for (const error of errors) {
      assert.ok(error instanceof ScopewardError, error.name)
      assert.ok(Object.hasOwn(ERROR_CODES, error.code), `${error.name}: ${error.code}`)
    }
  })

  test('messages are redacted at construction: a pasted secret never comes back', () => {
    const secret = 'swt_Aa0Aa0Aa0Aa0Aa0ABb1Bb1Bb1Bb1Bb1Bb1Bb1Bb1Bb1Bb1Bb1Cc2Cc2'
    assert.doesNotMatch(notFound('token', secret).message, /Bb1Bb1Bb1/)
  })
})

describe('answerFor: the one mapping', () => {
  test('domain errors answer with their code, status and extras', () => {
    const cases: [ScopewardError, AnyErrorCode, number][] = [
      [new ScopewardError('UNAUTHENTICATED', 'no'), 'UNAUTHENTICATED', 401],
      [new ScopewardError('FORBIDDEN', 'no'), 'FORBIDDEN', 403],
      [badInput('scopes', 'scopes: bad', { unknownScopes: ['x'] }), 'BAD_USER_INPUT', 400],
      [notFound('app', 'app_x'), 'NOT_FOUND', 404],
      [new StaleRead('token "x"'), 'CONFLICT', 409],
      [new BodyError(413, 'too big'), 'PAYLOAD_TOO_LARGE', 413],
      [new BodyError(400, 'cut off'), 'BAD_REQUEST', 400],
    ]
    for (const [error, code, status] of cases) {
      const answer = answerFor(error)
      assert.deepEqual([answer.code, answer.status, answer.expected], [code, status, true], error.message)
    }
    assert.deepEqual(answerFor(badInput('scopes', 'scopes: bad', { unknownScopes: ['x'] })).extensions, { field: 'scopes', unknownScopes: ['x'] })
  })

  test('OAuth refusals carry their RFC 6749 §5.2 status and challenges, never cached', () => {
    assert.deepEqual(answerFor(new OAuthError('invalid_client', 'x', true)).headers, { pragma: 'no-cache', 'www-authenticate': 'Basic realm="scopeward", charset="UTF-8"' })
    assert.deepEqual(answerFor(new OAuthError('invalid_client', 'x')).headers, { pragma: 'no-cache' })
    assert.equal(answerFor(new OAuthError('invalid_client', 'x')).status, 401)
    assert.equal(answerFor(new OAuthError('insufficient_scope', 'x')).status, 403)
    assert.match(answerFor(new OAuthError('insufficient_scope', 'x')).headers['www-authenticate'] ?? '', /insufficient_scope/)
    for (const code of ['invalid_request', 'invalid_grant', 'invalid_scope', 'unauthorized_client', 'unsupported_grant_type'] as const)
      assert.equal(answerFor(new OAuthError(code, 'x')).status, 400)
    assert.deepEqual(oauthErrorBody(answerFor(new OAuthError('invalid_grant', 'subject_token is invalid'))), {
      error: 'invalid_grant',
      error_description: 'subject_token is invalid',
    })
  })

  test('a throttle answers 429 with Retry-After of at least one second', () => {
    const answer = answerFor(new RateLimited(0))
    assert.equal(answer.status, 429)
    assert.equal(answer.headers['retry-after'], '1')
    assert.deepEqual(oauthErrorBody(answer), { error: 'rate_limited', error_description: 'too many token requests for this client; retry in 1 s' })
  })

  test('internal errors, INTERNAL_SERVER_ERROR and anything unknown are masked, with the code to log', () => {
    const cases: [unknown, string][] = [
      [new KeyWriteRefused('the signing keys of this database are sealed'), 'KEY_WRITE_REFUSED'],
      [new SealedKeyError('signing key k1 cannot be decrypted'), 'SEALED_KEY'],
      [new EmptiedTokensError(['a']), 'EMPTIED_TOKENS'],
      [new ScopewardError('INTERNAL_SERVER_ERROR', 'db exploded at /var/lib/x'), 'INTERNAL_SERVER_ERROR'],
      [new ScopeDirectiveBuildError([{ coordinate: 'Query.x', message: 'bad' }]), 'SCOPE_DIRECTIVE_BUILD'],
      [new Error('ECONNRESET 10.0.0.3:5432'), 'INTERNAL_SERVER_ERROR'],
      ['a string', 'INTERNAL_SERVER_ERROR'],
      [null, 'INTERNAL_SERVER_ERROR'],
    ]
    for (const [error, logCode] of cases) {
      const answer = answerFor(error)
      assert.deepEqual(
        { status: answer.status, code: answer.code, message: answer.message, expected: answer.expected, logCode: answer.logCode },
        { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', expected: false, logCode },
      )
      assert.deepEqual(graphqlErrorBody(answer), { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] })
    }
  })

  test('the directive engine’s analysis limit is a validation failure (400), mapped here, not in the engine', () => {
    const answer = answerFor(new OperationTooLargeError(1_000_001))
    assert.deepEqual([answer.status, answer.code, answer.expected], [400, 'GRAPHQL_VALIDATION_FAILED', true])
  })

  test('only GraphQL client codes of the table pass through formatError unmasked', () => {
    for (const code of [
      'GRAPHQL_PARSE_FAILED',
      'GRAPHQL_VALIDATION_FAILED',
      'BAD_USER_INPUT',
      'BAD_REQUEST',
      'PERSISTED_QUERY_NOT_FOUND',
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'NOT_FOUND',
      'CONFLICT',
    ])
      assert.equal(isClientGraphQLCode(code), true, code)
    for (const code of ['INTERNAL_SERVER_ERROR', 'SEALED_KEY', 'invalid_client', 'not_found', 'toString', '__proto__', undefined, 42])
      assert.equal(isClientGraphQLCode(code), false, String(code))
  })
})

describe('toOAuthError: the domain’s refusals of a grant in OAuth terms', () => {
  test('scope problems are invalid_scope, a dead parent or unknown object invalid_grant, bad input invalid_request', () => {
    assert.equal(toOAuthError(new ScopewardError('FORBIDDEN', 'x'))?.code, 'invalid_scope')
    assert.equal(toOAuthError(badInput('scopes', 'x'))?.code, 'invalid_scope')
    assert.equal(toOAuthError(new ScopewardError('UNAUTHENTICATED', 'x'))?.code, 'invalid_grant')
    assert.equal(toOAuthError(notFound('token', 'x'))?.code, 'invalid_grant')
    assert.equal(toOAuthError(badInput('name', 'x'))?.code, 'invalid_request')
  })

  test('OAuth errors and throttles pass as they are; a conflict or a bug is not a refusal', () => {
    const limited = new RateLimited(2)
    assert.equal(toOAuthError(limited), limited)
    assert.equal(toOAuthError(new StaleRead('x')), null)
    assert.equal(toOAuthError(new Error('bug')), null)
  })
})
