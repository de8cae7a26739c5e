// The token prefix per instance (SCOPEWARD_TOKEN_PREFIX) and the secret-scanning rules of
// docs/secret-scanning.md: the regular expressions are read from the page itself and must match
// every token a real server issues and nothing that merely looks like one.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { checksum, createOpaqueFormat } from '../../src/tokens/opaque-token.js'
import { redactSecrets } from '../../src/text.js'
import { createApp, dataOf, issue, startServer, type TestServer } from './harness.js'

const doc = readFileSync(new URL('../../docs/secret-scanning.md', import.meta.url), 'utf8')

/** The regex of the gitleaks rule (TOML literal string) and of the TruffleHog detector (YAML single-quoted), as written in the doc. */
function documentedPatterns(): { gitleaks: string; trufflehog: string } {
  const toml = /```toml\n([\s\S]*?)```/.exec(doc)?.[1]
  const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1]
  const gitleaks = toml && /^regex = '''(.+)'''$/m.exec(toml)?.[1]
  const trufflehog = yaml && /^\s+token: '(.+)'$/m.exec(yaml)?.[1]
  assert.ok(gitleaks && trufflehog, 'docs/secret-scanning.md holds a gitleaks rule and a TruffleHog detector')
  return { gitleaks, trufflehog }
}

/** Every match of a documented pattern in `text` (Go RE2 and JavaScript agree on this subset: \b, classes, counts). */
const findAll = (pattern: string, text: string): string[] => [...text.matchAll(new RegExp(pattern, 'g'))].map((m) => m[1] ?? m[0])

describe('secret scanning rules (docs/secret-scanning.md)', () => {
  let server: TestServer
  let issued: string[]

  before(async () => {
    server = await startServer()
    const app = await createApp(server, { name: 'scanned', allowedScopes: ['tokens:read'] })
    issued = [server.rootToken]
    for (let i = 0; i < 20; i++) issued.push((await issue(server, { appId: app.id, scopes: ['tokens:read'] })).secret)
  })
  after(() => server.stop())

  for (const which of ['gitleaks', 'trufflehog'] as const) {
    test(`the ${which} pattern finds every issued token, alone or inside text`, () => {
      const pattern = documentedPatterns()[which]
      for (const token of issued) {
        assert.deepEqual(findAll(pattern, token), [token])
        assert.deepEqual(findAll(pattern, `export SCOPEWARD_TOKEN="${token}"\nAuthorization: Bearer ${token}`), [token, token])
        assert.deepEqual(findAll(pattern, `{"token":"${token}"}`), [token])
      }
    })

    test(`the ${which} pattern matches no random string and no near miss`, () => {
      const pattern = documentedPatterns()[which]
      const token = issued[1] as string
      const nearMisses = [
        token.slice(0, -1), // one character short
        `${token}a`, // one too many: a longer base62 run is not a token
        `x${token}`, // glued to a word
        `swx_${token.slice(4)}`, // another prefix
        `SWT_${token.slice(4)}`,
        `swt-${token.slice(4)}`,
        `swt_${token.slice(4, 30)}-${token.slice(31)}`, // a character outside base62
        `swt__${token.slice(5)}`,
        `sws_${token.slice(4)}`, // a client secret is not a token
        'swt_',
        `swt_${'a'.repeat(53)}`,
      ]
      for (const miss of nearMisses) assert.deepEqual(findAll(pattern, miss), [], miss)
      for (let i = 0; i < 200; i++) {
        const random = randomBytes(64).toString('base64url')
        assert.deepEqual(findAll(pattern, random), [], random)
      }
    })
  }

  test('with another SCOPEWARD_TOKEN_PREFIX, the pattern with the prefix replaced finds that instance’s tokens only', () => {
    const pattern = documentedPatterns().gitleaks.replace('swt_', 'acme_')
    const acme = createOpaqueFormat('acme').generate().plaintext
    assert.deepEqual(findAll(pattern, `token=${acme}`), [acme])
    assert.deepEqual(findAll(pattern, issued[0] as string), [])
  })
})

describe('SCOPEWARD_TOKEN_PREFIX', () => {
  let server: TestServer

  before(async () => {
    server = await startServer({ env: { SCOPEWARD_TOKEN_PREFIX: 'acme' } })
  })
  after(() => server.stop())

  test('the instance issues tokens of its prefix, with the checksum over the prefix, and they work', async () => {
    assert.match(server.rootToken, /^acme_[0-9A-Za-z]{54}$/)
    const token = await issue(server, { scopes: ['tokens:read'] })
    assert.match(token.secret, /^acme_[0-9A-Za-z]{54}$/)
    assert.equal(token.secret.slice(-6), checksum(token.secret.slice(0, -6)))
    assert.equal(dataOf(await server.gql('{ viewer { id } }', { token: token.secret })).viewer.id, token.id)
    // Pasted where an id is expected, it names the token, and is never echoed.
    assert.equal(dataOf(await server.gql('query($id: ID!) { token(id: $id) { id } }', { variables: { id: token.secret } })).token.id, token.id)
    assert.equal(redactSecrets(`got ${token.secret}`), `got acme_${token.id}…[redacted]`)
  })

  test('a token of another prefix is refused as an unknown format, even with a valid checksum', async () => {
    const token = await issue(server, { scopes: ['tokens:read'] })
    const body = `swt_${token.secret.slice(5, -6)}`
    const foreign = body + checksum(body)
    const answer = await server.gql('{ viewer { id } }', { token: foreign })
    assert.equal(answer.status, 401)
    assert.ok(
      server.logs.some((line) => line.includes('"reason":"malformed"')),
      'logged as malformed: not this instance’s format',
    )
    const verified = await server.request('/v1/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.rootToken}` },
      body: JSON.stringify({ token: foreign }),
    })
    assert.equal(((await verified.json()) as { code: string }).code, 'TOKEN_MALFORMED')
  })

  test('a prefix outside the grammar stops the start, naming the setting', () => {
    for (const bad of ['a', 'Acme', 'ac_me', '1abc', 'abcdefghijk', 'ac-me', 'acmé', 'sws']) {
      assert.throws(() => loadConfig({}, { SCOPEWARD_TOKEN_PREFIX: bad }), /SCOPEWARD_TOKEN_PREFIX/, bad)
    }
    assert.equal(loadConfig({}, {}).tokenPrefix, 'swt')
    assert.equal(loadConfig({}, { SCOPEWARD_TOKEN_PREFIX: 'ab' }).tokenPrefix, 'ab')
  })
})
