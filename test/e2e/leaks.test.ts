// POST /v1/leaks: GitHub secret-scanning reports (ECDSA P-256 signed, keys from
// SCOPEWARD_LEAK_REPORT_KEYS: the test makes its own pair) and a reporter's own form. A real leaked
// token is revoked at once with its family and a token.leaked event; anything else changes nothing,
// and no answer or log line repeats a token.
import assert from 'node:assert/strict'
import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { checksum } from '../../src/tokens/opaque-token.js'
import { auditCount, createApp, DERIVE, dataOf, issue, startServer, type TestServer } from './harness.js'

const github = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const githubId = createHash('sha256')
  .update(github.publicKey.export({ type: 'spki', format: 'der' }))
  .digest('hex')

const STATUS = 'query($id: ID!) { token(id: $id) { status revokeReason } }'

describe('POST /v1/leaks', () => {
  let server: TestServer
  let dir: string
  let appId: string

  const signed = (body: string, key = github.privateKey, id = githubId) => ({
    'content-type': 'application/json',
    'github-public-key-identifier': id,
    'github-public-key-signature': sign('sha256', Buffer.from(body), { key, dsaEncoding: 'der' }).toString('base64'),
  })
  const post = async (body: string, headers: Record<string, string>) => {
    const res = await server.request('/v1/leaks', { method: 'POST', headers, body })
    const text = await res.text()
    return { status: res.status, text, headers: res.headers, body: JSON.parse(text) }
  }
  const statusOf = async (id: string) => dataOf(await server.gql(STATUS, { variables: { id } })).token

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scopeward-leaks-'))
    const pem = join(dir, 'keys.pem')
    writeFileSync(pem, github.publicKey.export({ type: 'spki', format: 'pem' }))
    server = await startServer({ env: { SCOPEWARD_LEAK_REPORT_KEYS: pem } })
    appId = (await createApp(server, { name: 'leaky', allowedScopes: ['tokens:read', 'tokens:report-leak'] })).id
  })
  after(async () => {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('a signed GitHub report revokes a real token and its derived tokens at once, labels each match, and never echoes a token', async () => {
    const leaked = await issue(server, { appId, scopes: ['tokens:read'] })
    const child = dataOf(await server.gql(DERIVE, { token: leaked.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } })).deriveToken
    const made = `swt_${'A'.repeat(16)}${'b'.repeat(32)}`
    const unknown = made + checksum(made)
    const body = JSON.stringify([
      { token: leaked.secret, type: 'scopeward_token', url: 'https://github.com/o/r/blob/abc/.env', source: 'content' },
      { token: unknown, type: 'scopeward_token', url: 'https://github.com/o/r/blob/abc/x', source: 'content' },
      { token: 'not-a-token', type: 'scopeward_token', url: 'https://github.com/o/r/blob/abc/y', source: 'commit' },
    ])
    const before = await auditCount(server)
    const answer = await post(body, signed(body))
    assert.equal(answer.status, 200)
    const hash = (t: string) => createHash('sha256').update(t).digest('hex')
    assert.deepEqual(answer.body, [
      { token_hash: hash(leaked.secret), token_type: 'scopeward_token', label: 'true_positive' },
      { token_hash: hash(unknown), token_type: 'scopeward_token', label: 'false_positive' },
      { token_hash: hash('not-a-token'), token_type: 'scopeward_token', label: 'false_positive' },
    ])
    for (const token of [leaked.secret, unknown, child.secret]) assert.ok(!answer.text.includes(token))
    assert.deepEqual(await statusOf(leaked.id), { status: 'REVOKED', revokeReason: 'leaked' })
    assert.equal((await statusOf(child.token.id)).status, 'REVOKED')
    assert.equal((await server.gql('{ viewer { id } }', { token: leaked.secret })).status, 401)
    assert.equal(await auditCount(server), before + 1, 'one token.leaked event; the unknown tokens wrote nothing')
    const events = dataOf(await server.gql('{ auditEvents(action: "token.leaked", first: 10) { edges { node { target details } } } }')).auditEvents.edges
    assert.equal(events.length, 1)
    assert.equal(events[0].node.target, leaked.id)
    const details = typeof events[0].node.details === 'string' ? JSON.parse(events[0].node.details) : events[0].node.details
    assert.equal(details.reportedBy, 'github_secret_scanning')
    assert.equal(details.url, 'https://github.com/o/r/blob/abc/.env')
    // Reported again: still a true positive, nothing written.
    const again = JSON.stringify([{ token: leaked.secret, type: 'scopeward_token', url: 'https://github.com/o/r/blob/abc/.env', source: 'content' }])
    assert.equal((await post(again, signed(again))).body[0].label, 'true_positive')
    assert.equal(await auditCount(server), before + 1)
    for (const line of server.logs) for (const token of [leaked.secret, unknown]) assert.ok(!line.includes(token), 'no log line holds a token')
  })

  test('an unsigned, badly signed, foreign-key or altered report is refused (401) and revokes nothing', async () => {
    const victim = await issue(server, { appId, scopes: ['tokens:read'] })
    const body = JSON.stringify([{ token: victim.secret, type: 'scopeward_token', url: 'https://x', source: 'content' }])
    const before = await auditCount(server)
    const attempts: Record<string, string>[] = [
      signed(body, stranger.privateKey), // a key GitHub does not hold, under GitHub's identifier
      signed(body, stranger.privateKey, 'f'.repeat(64)), // an unknown identifier
      { ...signed(body), 'github-public-key-signature': 'bm90IGEgc2lnbmF0dXJl' },
      { ...signed(body), 'github-public-key-signature': '' },
      { ...signed(`${body} `) }, // signature of another body
      { 'content-type': 'application/json', 'github-public-key-signature': signed(body)['github-public-key-signature'] }, // no identifier
    ]
    for (const headers of attempts) {
      const answer = await post(body, headers)
      assert.deepEqual([answer.status, answer.body.error], [401, 'invalid_client'])
      assert.ok(!answer.text.includes(victim.secret))
    }
    assert.equal((await statusOf(victim.id)).status, 'ACTIVE')
    assert.equal(await auditCount(server), before)
    // A validly signed body that is not GitHub's shape: 400, nothing revoked.
    for (const bad of ['{}', '[]', '[{"type":"x"}]', '[{"token":5,"type":"x"}]', 'nope']) assert.equal((await post(bad, signed(bad))).status, 400, bad)
  })

  test('a reporter with tokens:report-leak revokes a leaked token; unknown ones answer unknown and change nothing', async () => {
    const reporter = await issue(server, { appId, scopes: ['tokens:report-leak'] })
    const other = await createApp(server, { name: 'elsewhere', allowedScopes: ['tokens:read'] })
    const leaked = await issue(server, { appId: other.id, scopes: ['tokens:read'] })
    const report = (token: unknown, bearer = reporter.secret) => post(JSON.stringify({ token }), { 'content-type': 'application/json', authorization: `Bearer ${bearer}` })
    const before = await auditCount(server)
    const first = await report(leaked.secret)
    assert.deepEqual([first.status, first.body], [200, { result: 'revoked' }])
    assert.deepEqual(await statusOf(leaked.id), { status: 'REVOKED', revokeReason: 'leaked' })
    assert.deepEqual((await report(leaked.secret)).body, { result: 'already_revoked' })
    const wrongSecret = `swt_${leaked.id}${'c'.repeat(32)}`
    for (const token of [wrongSecret + checksum(wrongSecret), 'garbage', 'eyJhbGciOiJFZERTQSJ9.e30.c2ln']) assert.deepEqual((await report(token)).body, { result: 'unknown' })
    assert.equal(await auditCount(server), before + 1)
    const events = dataOf(await server.gql('{ auditEvents(action: "token.leaked", target: "' + leaked.id + '", first: 5) { edges { node { actor } } } }')).auditEvents.edges
    assert.deepEqual(
      events.map((e: any) => e.node.actor),
      [reporter.id],
    )
  })

  test('the plain form needs a reporter: none or a bad token 401, one without tokens:report-leak 403, a bad body 400', async () => {
    const victim = await issue(server, { appId, scopes: ['tokens:read'] })
    const weak = await issue(server, { appId, scopes: ['tokens:read'] })
    const body = JSON.stringify({ token: victim.secret })
    const none = await post(body, { 'content-type': 'application/json' })
    assert.deepEqual([none.status, none.body.error], [401, 'invalid_client'])
    assert.equal((await post(body, { 'content-type': 'application/json', authorization: 'Bearer nope' })).status, 401)
    const forbidden = await post(body, { 'content-type': 'application/json', authorization: `Bearer ${weak.secret}` })
    assert.deepEqual([forbidden.status, forbidden.body.error], [403, 'insufficient_scope'])
    assert.equal(forbidden.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", scope="tokens:report-leak"')
    const bad = await post(JSON.stringify({ token: 7 }), { 'content-type': 'application/json', authorization: `Bearer ${server.rootToken}` })
    assert.deepEqual([bad.status, bad.body.field], [400, 'token'])
    assert.equal((await statusOf(victim.id)).status, 'ACTIVE')
    // The root token may report (it could revoke anyway).
    assert.deepEqual((await post(body, { 'content-type': 'application/json', authorization: `Bearer ${server.rootToken}` })).body, { result: 'revoked' })
  })

  test('SCOPEWARD_LEAK_REPORT_KEYS: a JWKS names keys by kid; a missing file or a key of another kind stops the start, naming the setting', () => {
    const jwks = join(dir, 'keys.json')
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...github.publicKey.export({ format: 'jwk' }), kid: 'github-1' }] }))
    assert.deepEqual([...loadConfig({}, { SCOPEWARD_LEAK_REPORT_KEYS: jwks }).leakReportKeys.keys()], ['github-1'])
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const rsaPem = join(dir, 'rsa.pem')
    writeFileSync(rsaPem, rsa.publicKey.export({ type: 'spki', format: 'pem' }))
    const empty = join(dir, 'empty.pem')
    writeFileSync(empty, 'nothing here')
    for (const path of [join(dir, 'missing.pem'), rsaPem, empty]) assert.throws(() => loadConfig({}, { SCOPEWARD_LEAK_REPORT_KEYS: path }), /SCOPEWARD_LEAK_REPORT_KEYS/, path)
  })
})

describe('POST /v1/leaks without SCOPEWARD_LEAK_REPORT_KEYS', () => {
  test('a signed report is refused: nothing is configured to trust', async () => {
    const server = await startServer()
    try {
      const token = await issue(server, { scopes: ['tokens:read'] })
      const body = JSON.stringify([{ token: token.secret, type: 't', url: 'u', source: 's' }])
      const res = await server.request('/v1/leaks', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'github-public-key-identifier': githubId,
          'github-public-key-signature': sign('sha256', Buffer.from(body), { key: github.privateKey, dsaEncoding: 'der' }).toString('base64'),
        },
        body,
      })
      assert.equal(res.status, 401)
      assert.equal(dataOf(await server.gql(STATUS, { variables: { id: token.id } })).token.status, 'ACTIVE')
    } finally {
      await server.stop()
    }
  })
})
