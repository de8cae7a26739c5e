// The HTTP surface around GraphQL: CORS, CSRF prevention, security headers, health and metrics
// routes, and settings validation at start. Answers are checked in process (server.request, no
// socket); sockets, timeouts and connection caps are tested with real connections elsewhere.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { issue, startServer, type TestServer } from '../e2e/harness.js'
import { cli } from '../cli/harness.js'

const ROOT = resolve(import.meta.dirname, '../..')
const VIEWER = JSON.stringify({ query: '{ viewer { id } }' })
const ORIGIN = 'https://app.example'

const accessControlHeaders = (res: Response): string[] => [...res.headers.keys()].filter((k) => k.startsWith('access-control-'))

describe('CORS is off by default', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  test('a cross-origin request gets no Access-Control-* header', async () => {
    const res = await server.request('/graphql', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json', authorization: `Bearer ${server.rootToken}` },
      body: VIEWER,
    })
    assert.equal(res.status, 200)
    assert.deepEqual(accessControlHeaders(res), [])
  })

  test('a preflight gets no allow headers', async () => {
    const res = await server.request('/graphql', {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    })
    assert.ok(res.status < 500)
    assert.deepEqual(accessControlHeaders(res), [])
  })
})

describe(`CORS with SCOPEWARD_CORS_ORIGINS=${ORIGIN}`, () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ env: { SCOPEWARD_CORS_ORIGINS: ORIGIN } })
  })
  after(() => server.stop())

  const preflight = (origin: string) =>
    server.request('/graphql', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } })

  test('the allowed origin gets a 204 preflight allowing POST with Authorization', async () => {
    const res = await preflight(ORIGIN)
    assert.equal(res.status, 204)
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN)
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/)
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/)
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /content-type/)
    assert.equal(res.headers.get('access-control-allow-credentials'), null, 'no cookies: credentials travel in Authorization')
  })

  test('the allowed origin gets the headers on the actual request, with Vary: Origin', async () => {
    const res = await server.request('/graphql', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json', authorization: `Bearer ${server.rootToken}` },
      body: VIEWER,
    })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN)
    assert.match(res.headers.get('vary') ?? '', /Origin/i)
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /x-request-id/)
  })

  for (const other of ['https://evil.example', 'https://app.example.evil.example', 'http://app.example', 'null']) {
    test(`another origin (${other}) gets no CORS header, on the preflight or the request`, async () => {
      assert.deepEqual(accessControlHeaders(await preflight(other)), [])
      const res = await server.request('/graphql', {
        method: 'POST',
        headers: { origin: other, 'content-type': 'application/json', authorization: `Bearer ${server.rootToken}` },
        body: VIEWER,
      })
      assert.deepEqual(accessControlHeaders(res), [])
    })
  }
})

describe('routes', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  test('refuses a text/plain POST without a preflight header (Apollo CSRF prevention) with 400, running nothing', async () => {
    const before = await server.app.store.countAuditEvents({})
    const res = await server.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${server.rootToken}` },
      body: JSON.stringify({ query: 'mutation { createApp(input: {name: "csrf", allowedScopes: []}) { id } }' }),
    })
    assert.equal(res.status, 400)
    assert.match(await res.text(), /CSRF|preflight/i)
    assert.equal(await server.app.store.countAuditEvents({}), before)
  })

  const ROUTES: [string, string, RequestInit?][] = [
    ['POST /graphql', '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: VIEWER }],
    ['POST /graphql (401)', '/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body: VIEWER }],
    ['GET /graphql', '/graphql?query=%7B__typename%7D', { headers: { 'apollo-require-preflight': '1' } }],
    ['GET /healthz', '/healthz'],
    ['GET /readyz', '/readyz'],
    ['GET /metrics', '/metrics'],
    ['GET /.well-known/jwks.json', '/.well-known/jwks.json'],
    ['POST /oauth/token (400)', '/oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' }],
    ['404', '/nowhere'],
    ['405', '/healthz', { method: 'DELETE' }],
  ]
  for (const [name, path, init] of ROUTES) {
    test(`${name} carries the security headers and a request id`, async () => {
      const res = await server.request(path, init)
      assert.ok(res.status < 500, `status ${res.status}`)
      // The key set is public and meant to be cached by verifiers; everything else is no-store.
      assert.equal(res.headers.get('cache-control'), path.startsWith('/.well-known/') ? 'public, max-age=300' : 'no-store')
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
      assert.equal(res.headers.get('x-frame-options'), 'DENY')
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer')
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/)
      assert.match(res.headers.get('x-request-id') ?? '', /^[A-Za-z0-9._-]+$/)
    })
  }

  test('/healthz answers 200 {"status":"ok"} and /readyz 200 {"status":"ready"}', async () => {
    const health = await server.request('/healthz')
    assert.equal(health.status, 200)
    assert.deepEqual(await health.json(), { status: 'ok' })
    const ready = await server.request('/readyz')
    assert.equal(ready.status, 200)
    assert.deepEqual(await ready.json(), { status: 'ready' })
  })

  test('/metrics exposes request counts, auth failures by reason, denials by field, active tokens and latency buckets', async () => {
    const bad = await server.request('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer swt_${'A'.repeat(54)}` }, body: VIEWER })
    assert.equal(bad.status, 401)
    const reader = await issue(server, { scopes: ['tokens:read'] })
    const denied = await server.gql('mutation { issueToken(input: {name: "x", scopes: ["tokens:read"]}) { secret } }', { token: reader.secret })
    assert.equal(denied.status, 403)
    const res = await server.request('/metrics')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/)
    const text = await res.text()
    assert.match(text, /^scopeward_http_requests_total\{route="\/graphql",status="200"\} \d+$/m)
    assert.match(text, /^scopeward_auth_failures_total\{reason="bad_checksum"\} 1$/m)
    assert.match(text, /^scopeward_authorization_denials_total\{field="Mutation\.issueToken"\} 1$/m)
    assert.match(text, /^scopeward_active_tokens [1-9]\d*$/m)
    assert.match(text, /^scopeward_http_request_duration_seconds_bucket\{le="0\.005",route="\/graphql"\} \d+$/m)
    assert.match(text, /^scopeward_http_request_duration_seconds_bucket\{le="\+Inf",route="\/graphql"\} \d+$/m)
    assert.doesNotMatch(text, /swt_/, 'no credential in a label')
  })

  test('metrics label unknown paths as one route, so clients cannot grow the label set', async () => {
    for (let i = 0; i < 5; i++) await server.request(`/random-${i}`)
    const text = await (await server.request('/metrics')).text()
    assert.doesNotMatch(text, /random-/)
    assert.match(text, /route="unknown",status="404"/)
  })
})

test('the active-tokens gauge counts what `tokens(status: ACTIVE)` lists: not a token ended by the lifetime policy', async () => {
  // Tokens issued before the instance's policy was lowered keep their longer expiry in their rows.
  const first = await startServer({ keep: true })
  const long = await issue(first, { scopes: ['tokens:read'], expiresIn: 'P30D' })
  await first.stop()
  const server = await startServer({ dbPath: first.dbPath, rootToken: first.rootToken, env: { SCOPEWARD_MAX_TOKEN_LIFETIME: 'P1D' }, offset: 2 * 86_400_000 })
  try {
    const listed = (await server.gql('{ tokens(status: ACTIVE) { totalCount } }', { token: long.secret })).status
    assert.equal(listed, 401, 'the policy ended every token: none can even ask')
    const text = await (await server.request('/metrics')).text()
    assert.match(text, /^scopeward_active_tokens 0$/m)
  } finally {
    await server.stop()
    await first.discard()
  }
})

test('SCOPEWARD_METRICS=false removes /metrics (404)', async () => {
  const server = await startServer({ env: { SCOPEWARD_METRICS: 'false' } })
  try {
    assert.equal((await server.request('/metrics')).status, 404)
    assert.equal((await server.request('/healthz')).status, 200)
  } finally {
    await server.stop()
  }
})

describe('a bad setting stops `scopeward serve` with exit code 1 and a message naming it', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'scopeward-config-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  /** Runs `serve` as a process with `env`; resolves with its exit code and stderr (killed after 60 s if it does not stop). */
  const serveProcess = (env: Record<string, string>, db: string) =>
    new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--db', db], {
        cwd: ROOT,
        env: { ...process.env, SCOPEWARD_DB: '', PORT: '', LOG_LEVEL: 'silent', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.on('exit', (code) => {
        clearTimeout(timer)
        done({ code, stderr })
      })
    })

  const assertRefused = (run: { code: number | null; stderr: string }, env: Record<string, string>, name: RegExp, db: string) => {
    assert.equal(run.code, 1, `${JSON.stringify(env)} exits 1 (stderr: ${run.stderr})`)
    assert.match(run.stderr, name, `${JSON.stringify(env)}: the message names the setting`)
    assert.match(run.stderr, /invalid setting/)
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace')
    assert.equal(existsSync(db), false, 'stopped before touching the database')
  }

  test('the real process exits 1 on a bad setting', { timeout: 120_000 }, async () => {
    const db = join(dir, 'bad-process.db')
    assertRefused(await serveProcess({ PORT: 'abc' }, db), { PORT: 'abc' }, /PORT/, db)
  })

  const CASES: [Record<string, string>, RegExp][] = [
    [{ PORT: 'abc' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ SCOPEWARD_MASTER_KEY: 'short' }, /SCOPEWARD_MASTER_KEY/],
    [{ SCOPEWARD_ISSUER: 'ftp://x' }, /SCOPEWARD_ISSUER/],
    [{ SCOPEWARD_MAX_DEPTH: '0' }, /SCOPEWARD_MAX_DEPTH/],
    [{ SCOPEWARD_CORS_ORIGINS: 'not a url' }, /SCOPEWARD_CORS_ORIGINS/],
    [{ SCOPEWARD_TRUSTED_PROXIES: 'x y' }, /SCOPEWARD_TRUSTED_PROXIES/],
  ]

  // The same exit code from `run(argv, io)`, which main.ts hands to process.exit: in process, so eight cases cost no eight Node start-ups.
  for (const [i, [env, name]] of CASES.entries()) {
    test(`${JSON.stringify(env)} is refused`, async () => {
      const db = join(dir, `bad-${i}.db`)
      const result = await cli(['serve', '--db', db, ...('PORT' in env ? [] : ['--port', '0'])], { env })
      assertRefused(result, env, name, db)
    })
  }
})
