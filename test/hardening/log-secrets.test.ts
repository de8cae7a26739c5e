// No secret reaches the logs: a full workflow at LOG_LEVEL=trace (every token kind issued,
// presented, introspected, revoked, and real secrets presented with one character changed), then
// every log line is searched for every secret of the run.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { createScopeward } from '../../src/scopeward.js'
import { checksum } from '../../src/tokens/opaque-token.js'
import { DERIVE, ISSUE, REVOKE, ROTATE } from '../e2e/harness.js'

/** The same string with its character at `i` (counted from the end when negative) replaced. */
function mutate(secret: string, i = -3): string {
  const at = i < 0 ? secret.length + i : i
  const c = secret[at] === 'A' ? 'B' : 'A'
  return secret.slice(0, at) + c + secret.slice(at + 1)
}

test('at LOG_LEVEL=trace, no token, client secret or JWT issued or presented during a full workflow appears in any log line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scopeward-logs-'))
  const logs: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      done()
    },
  })
  const env = { LOG_LEVEL: 'trace', SCOPEWARD_AUTH_FAILURES_PER_MINUTE: '1000000', SCOPEWARD_USAGE_FLUSH_MS: '10' }
  const config = loadConfig({ db: join(dir, 'logs.db'), port: '0' }, env)
  assert.equal(config.logLevel, 'trace')
  const app = await createScopeward(config, { logger: createLogger(config.logLevel, sink) })
  const { port } = await app.http.listen(0, '127.0.0.1')
  const url = `http://127.0.0.1:${port}`
  const root = app.rootToken as string
  /** Everything secret the run has seen: each must be absent from the logs. */
  const secrets = new Map<string, string>([['root token', root]])
  let workerId = ''

  const gql = async (token: string | null, query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    })
    return { status: res.status, body: (await res.json()) as any }
  }
  const form = async (path: string, params: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    })
    return { status: res.status, body: (await res.json().catch(() => null)) as any }
  }
  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` })

  try {
    const created = await gql(root, 'mutation { createApp(input: {name: "logged", allowedScopes: ["tokens:read", "tokens:write", "tokens:introspect"]}) { id } }')
    const appId = created.body.data.createApp.id as string

    const issued = await gql(root, ISSUE, { input: { appId, name: 'worker', scopes: ['tokens:read', 'tokens:write'] } })
    const worker = issued.body.data.issueToken.secret as string
    workerId = issued.body.data.issueToken.token.id as string
    secrets.set('issued token', worker)

    const jwtIssued = await gql(root, ISSUE, { input: { appId, name: 'jwt', scopes: ['tokens:read'], kind: 'JWT' } })
    secrets.set('issued JWT', jwtIssued.body.data.issueToken.secret)

    const derived = await gql(worker, DERIVE, { input: { name: 'child', scopes: ['tokens:read'] } })
    const child = derived.body.data.deriveToken.secret as string
    secrets.set('derived token', child)

    const rotated = await gql(root, ROTATE, { id: workerId, grace: 'PT1M' })
    const successor = rotated.body.data.rotateToken.secret as string
    secrets.set('rotated token', successor)

    const clientSecret = (await gql(root, 'mutation($appId: ID!) { createClientSecret(appId: $appId) { secret } }', { appId })).body.data.createClientSecret.secret as string
    secrets.set('client secret', clientSecret)

    const grant = await form('/oauth/token', { grant_type: 'client_credentials', scope: 'tokens:read tokens:introspect' }, basic(appId, clientSecret))
    assert.equal(grant.status, 200, JSON.stringify(grant.body))
    const jwt = grant.body.access_token as string
    secrets.set('client_credentials JWT', jwt)

    const grantInBody = await form('/oauth/token', { grant_type: 'client_credentials', scope: 'tokens:read', client_id: appId, client_secret: clientSecret })
    assert.equal(grantInBody.status, 200)
    secrets.set('second JWT', grantInBody.body.access_token)

    const exchanged = await form('/oauth/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: successor,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      scope: 'tokens:read',
    })
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body))
    secrets.set('exchanged JWT', exchanged.body.access_token)

    // Use every credential, including the JWTs, as bearer tokens and for introspection.
    for (const [, secret] of secrets) assert.equal((await gql(secret, '{ viewer { id } }')).status, secret === clientSecret ? 401 : 200)
    for (const token of [jwt, successor, child]) {
      const r = await form('/oauth/introspect', { token }, { authorization: `Bearer ${root}` })
      assert.equal(r.body.active, true, JSON.stringify(r))
    }
    assert.equal((await form('/oauth/introspect', { token: child }, basic(appId, clientSecret))).status, 200)
    await gql(successor, '{ tokens(first: 5) { totalCount } }')

    // Revocation, by the API and by RFC 7009, then the revoked secrets presented again.
    assert.equal((await form('/oauth/revoke', { token: child }, basic(appId, clientSecret))).status, 200)
    assert.equal((await gql(root, REVOKE, { id: workerId, reason: 'done' })).status, 200)
    assert.equal((await gql(root, REVOKE, { id: rotated.body.data.rotateToken.token.id, reason: 'done' })).status, 200)
    for (const secret of [child, worker, successor]) assert.equal((await gql(secret, '{ viewer { id } }')).status, 401)

    // Failed attempts with real secrets changed by one character, in every place a credential goes.
    // (Not a JWT's last character: its low bits are base64url padding, so some changes decode to the same signature.)
    // An opaque token also gets its checksum recomputed, so the wrong secret and the unknown id reach the lookup.
    const resum = (t: string) => t.slice(0, -6) + checksum(t.slice(0, -6))
    for (const [label, secret] of [...secrets]) {
      const variants = [-2, -10, 8].map((i) => [`mutated at ${i}`, mutate(secret, i)])
      if (secret.startsWith('swt_')) variants.push(['wrong secret', resum(mutate(secret, 30))], ['unknown id', resum(mutate(secret, 10))])
      for (const [how, wrong] of variants as [string, string][]) {
        secrets.set(`${label} ${how}`, wrong)
        assert.ok((await gql(wrong, '{ viewer { id } }')).status >= 400, `${label} ${how} is refused`)
        await form('/oauth/introspect', { token: wrong }, { authorization: `Bearer ${root}` })
        await form('/oauth/token', {
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: wrong,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        })
      }
    }
    const wrongClientSecret = mutate(clientSecret)
    assert.equal((await form('/oauth/token', { grant_type: 'client_credentials', scope: 'tokens:read' }, basic(appId, wrongClientSecret))).status, 401)
    assert.equal((await form('/oauth/token', { grant_type: 'client_credentials', scope: 'tokens:read', client_id: appId, client_secret: wrongClientSecret })).status, 401)
    // A secret sent where a name goes, and in a query variable: it must not be echoed into logs either.
    await gql(root, ISSUE, { input: { appId, name: mutate(root, 5), scopes: ['not a scope'] } })
    await gql(root, `{ token(id: "${mutate(worker, 6)}") { id } }`)
    secrets.set('root mutated at 5', mutate(root, 5))
    secrets.set('worker mutated at 6', mutate(worker, 6))
  } finally {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  }

  assert.ok(logs.length > 50, `the run was logged (${logs.length} lines)`)
  assert.ok(
    logs.some((l) => /authentication refused/.test(l)),
    'refusals are logged (with their reason, not the secret)',
  )
  assert.ok(
    logs.some((l) => l.includes(workerId)),
    'the control: token ids (not secret) do appear, so the scan sees per-request data',
  )
  for (const [label, secret] of secrets) {
    // The whole credential, and its secret part alone (an opaque token's 32 characters after the id; a JWT's signature).
    const parts = [secret, secret.startsWith('swt_') ? secret.slice(20, 52) : (secret.split('.')[2] ?? secret)].filter((p) => p.length >= 16)
    for (const part of parts) {
      const line = logs.find((l) => l.includes(part))
      assert.equal(line, undefined, `${label} appears in the log: ${line?.slice(0, 300)}`)
    }
  }
})
