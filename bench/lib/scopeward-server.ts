/**
 * Starts Scopeward programmatically on an already seeded database (bench/seed.ts), the way
 * `scopeward serve` does (src/cli/serve.ts: its heap setting, loadConfig over the environment, createLogger(LOG_LEVEL)
 * writing to stdout), and prepares the credential a variant needs. The announce line is the first
 * line on stdout that is not a log line (bench/lib/child.ts `readAnnounce`). Modes:
 *   opaque     createScopeward as shipped; a tokens:read opaque token of the bench app
 *   jwt        same, but a tokens:read JWT (issueToken kind JWT); {"skip"} if JWTs are unavailable
 *   introspect same server; POST /oauth/introspect with token=<opaque>; {"skip"} if the route 404s
 *   issue      same server; a tokens:read+tokens:write opaque token for issueToken mutations
 *   issue-webhook  issue, plus one root-app webhook subscribed to token.issued at BENCH_WEBHOOK_URL (the
 *              orchestrator's receiver; the variant sets SCOPEWARD_WEBHOOK_ALLOW_PRIVATE and _ALLOW_HTTP)
 *   noengine   createScopeward with `directiveEngine: false`: the same composition minus the directive
 *              engine (no applyScopeDirectives wrapping, no scopeAuthorizationPlugin, so no usage recording)
 *   constrained  opaque, the token carrying all three constraints (README "Token constraints"): an
 *              allowlist holding 127.0.0.1 among other ranges, a rate limit never reached and credits
 *              never spent out (CONSTRAINED), so each request checks the address, counts the window and spends a credit
 * Usage: node --import tsx bench/servers/scopeward-<mode>.ts --db <file> --count <seeded rows>
 */
import { request } from 'node:http'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { createScopeward } from '../../src/scopeward.js'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { tuneHeapForServing } from '../../src/cli/serve.js'
import { issueToken } from '../../src/domain/issue-token.js'
import { createWebhook } from '../../src/domain/webhooks.js'
import { authenticate } from '../../src/domain/authenticate.js'
import { localRequest } from '../../src/auth/request.js'
import type { HttpServer } from '../../src/http/server.js'
import { operatorCall } from '../../src/domain/actor.js'
import type { Domain } from '../../src/domain/context.js'
import { announce, LIST_QUERY } from './child.js'
import { BENCH_APP_ID, seedCursorAfter, seedPlaintext } from '../seed.js'

export type Mode = 'opaque' | 'jwt' | 'introspect' | 'issue' | 'issue-webhook' | 'noengine' | 'constrained'

/** The constrained variant's token: every check runs and passes, none refuses during a run. */
export const CONSTRAINED = {
  allowedCidrs: ['10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12', '127.0.0.0/8', '2001:db8::/32'],
  rateLimit: { limit: 1_000_000_000, window: '1m' },
  credits: { remaining: 1_000_000_000 },
}

interface Running {
  domain: Domain
  http: HttpServer
  close(): Promise<void>
}

/**
 * The server's own check request, with node:http: `fetch` would load undici into the measured process
 * (~14 MiB resident, 2 MiB of heap), which `scopeward serve` never loads.
 */
function post(port: number, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

export async function startScopewardVariant(mode: Mode): Promise<void> {
  const { values } = parseArgs({ options: { db: { type: 'string' }, count: { type: 'string', default: '10000' } } })
  if (!values.db) throw new Error('--db required')
  const count = Number(values.count)
  // The heap setting `scopeward serve` makes for every user.
  tuneHeapForServing()
  // Built as `scopeward serve` builds it (src/cli/serve.ts): settings from the environment over the defaults,
  // the default logger (LOG_LEVEL, default info: one access line per request, to stdout). LOG_LEVEL=silent turns logging off.
  const config = loadConfig({ db: values.db, port: '0', host: '127.0.0.1' }, process.env)
  const running: Running = await createScopeward(config, { logger: createLogger(config.logLevel), directiveEngine: mode !== 'noengine' })
  const { domain } = running
  const address = await running.http.listen(0, '127.0.0.1')
  const port = address.port

  const issuing = mode === 'issue' || mode === 'issue-webhook'
  if (mode === 'issue-webhook') {
    const url = process.env.BENCH_WEBHOOK_URL
    if (!url) throw new Error('issue-webhook: BENCH_WEBHOOK_URL required')
    // Every issuance then writes its webhook event in its transaction, and the dispatcher delivers it during the run.
    await createWebhook(domain, operatorCall(), { url, events: ['token.issued'], appId: BENCH_APP_ID })
  }
  const scopes = issuing ? ['tokens:read', 'tokens:write'] : mode === 'introspect' ? ['tokens:introspect', 'tokens:read'] : ['tokens:read']
  const opaque = await issueToken(domain, operatorCall(), {
    appId: BENCH_APP_ID,
    name: `bench ${mode}`,
    scopes,
    ...(mode === 'constrained' ? { constraints: CONSTRAINED } : {}),
  })
  let token = opaque.secret
  const info: Record<string, unknown> = { port, mode, count }
  const json = { 'content-type': 'application/json' }

  if (mode === 'jwt') {
    try {
      token = (await issueToken(domain, operatorCall(), { appId: BENCH_APP_ID, name: 'bench jwt', scopes: ['tokens:read'], kind: 'JWT' })).secret
    } catch (error) {
      info.skip = `issueToken(kind: JWT) failed: ${(error as Error).message}`
    }
  }
  if (mode === 'introspect') {
    const probe = await post(
      port,
      '/oauth/introspect',
      { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
      `token=${encodeURIComponent(opaque.secret)}`,
    )
    if (probe.status === 404) info.skip = 'POST /oauth/introspect answered 404 (route not present in src/ at run time)'
    else if (probe.status !== 200 || !/"active"\s*:\s*true/.test(probe.text)) info.skip = `POST /oauth/introspect answered ${probe.status}: ${probe.text.slice(0, 200)}`
    else {
      info.request = {
        path: '/oauth/introspect',
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
        body: `token=${encodeURIComponent(opaque.secret)}`,
      }
    }
  }
  if (!info.request && !info.skip) {
    const query = issuing ? 'mutation { issueToken(input: { name: "bench", scopes: ["tokens:read"] }) { token { id } secret } }' : LIST_QUERY
    info.request = { path: '/graphql', method: 'POST', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) }
    const check = await post(port, '/graphql', { ...json, authorization: `Bearer ${token}` }, JSON.stringify({ query }))
    if (check.status !== 200 || check.text.includes('"errors"')) info.skip = `check request failed: ${check.status} ${check.text.slice(0, 300)}`
  }
  info.authHeader = `Bearer ${token}`
  // Extra requests used by the scale runs: deep page (after 900,000 rows) and viewer (token check over HTTP).
  if (count > 900_000) info.deepCursor = seedCursorAfter(899_999)

  announce(
    info,
    {
      /** In-process token check: authenticate() over random seeded tokens (cold and warm B-tree pages), µs/op. */
      authbench: async (msg) => {
        const ms = Number(msg.ms ?? 1000)
        const presented = Array.from({ length: 4096 }, () => seedPlaintext(Math.floor(Math.random() * count)))
        const request = localRequest('/bench/auth')
        let n = 0
        const end = performance.now() + ms
        const started = performance.now()
        const cpu0 = process.cpuUsage()
        while (performance.now() < end) {
          for (let k = 0; k < 64; k++) {
            const r = await authenticate(domain, presented[(n + k) & 4095] as string, request)
            if (!r.ok) throw new Error(`seeded token refused: ${r.reason}`)
          }
          n += 64
        }
        const wall = performance.now() - started
        const cpu = process.cpuUsage(cpu0)
        return { ops: n, usPerOp: (wall * 1000) / n, cpuUsPerOp: (cpu.user + cpu.system) / n }
      },
    },
    () => running.close(),
  )
}
