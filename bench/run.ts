/**
 * Scopeward benchmark orchestrator (see bench/README.md).
 *
 *   node --import tsx --min-semi-space-size=16 bench/run.ts [--quick] [--rounds 3] [--duration 8]
 *        [--scale-duration 5] [--warmup 8] [--connections 50] [--variants A,D,S,...] [--no-scale]
 *        [--profile S] [--profile-seconds 20] [--tsx]
 *
 * Compiles this checkout's src/ and bench/ with tsc into a temporary folder (bench/lib/compile.ts),
 * seeds databases (bench/seed.ts), starts one child process per variant server from the compiled
 * tree (`node <tmp>/bench/servers/*.js`, NODE_ENV=production: plain node with no V8 flag, as
 * `npm start` runs Scopeward; `--tsx` runs bench/servers/*.ts under tsx instead), warms each up, then
 * runs rounds A → … → A2 with autocannon from this process, and prints/writes a table.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir, cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { LIST_FIELDS_QUERY, procStatusKb, readAnnounce } from './lib/child.js'
import { summarizeProfile } from './profile-summary.js'
import { seedId } from './seed.js'
import { createBenchDatabase, pgUnavailable } from './seed-pg.js'
import { compileCheckout } from './lib/compile.js'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = dirname(BENCH)

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    'scale-duration': { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '50' },
    variants: { type: 'string' },
    'no-scale': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    profile: { type: 'string' },
    'profile-seconds': { type: 'string', default: '20' },
    tsx: { type: 'boolean', default: false },
  },
})
const QUICK = opt.quick
const ROUNDS = Number(opt.rounds ?? (QUICK ? 1 : 3))
const DURATION = Number(opt.duration ?? (QUICK ? 3 : 8))
const SCALE_DURATION = Number(opt['scale-duration'] ?? (QUICK ? 3 : 5))
const WARMUP = Number(opt.warmup ?? (QUICK ? 2 : 8))
const CONNECTIONS = Number(opt.connections)
/** The compiled tree the servers run from (bench/lib/compile.ts), set in main; null with --tsx. */
let compiled: string | null = null
const BIG = 1_000_000
const SMALL = 10_000

// ---------------------------------------------------------------- variants
interface ServerDef {
  key: string
  file: string
  db: 'small' | 'big' | 'pg'
  what: string
  /** Server processes sharing the database (P2: 2); the load of one run is split across them. */
  instances?: number
  /** Environment of the server process on top of the orchestrator's (SQ: LOG_LEVEL=silent). */
  env?: Record<string, string>
  /** Delivers webhooks to the orchestrator's receiver (WH): its URL is passed as BENCH_WEBHOOK_URL. */
  webhook?: boolean
  /** Extra arguments of the server file (AF: --flat). */
  args?: string[]
}
const SERVERS: ServerDef[] = [
  { key: 'A', file: 'apollo.ts', db: 'small', what: 'bare Apollo Server 5 (startStandaloneServer, default plugins), no auth, 10k tokens' },
  { key: 'AF', file: 'apollo.ts', db: 'small', args: ['--flat'], what: 'A serving a flat list: `tokens(first: 20): [Token!]!` (same fields, no connection)' },
  { key: 'D', file: 'apollo-shield.ts', db: 'small', what: 'A + opaque bearer check in context + graphql-shield rule (tokens:read) via graphql-middleware' },
  {
    key: 'S',
    file: 'scopeward-opaque.ts',
    db: 'small',
    what: 'Scopeward as `scopeward serve` runs it (default settings, access log to stdout), opaque tokens:read token, 10k tokens',
  },
  { key: 'S0', file: 'scopeward-noengine.ts', db: 'small', what: 'Scopeward composition without the directive engine (no wrapping, no plugin), opaque token' },
  { key: 'J', file: 'scopeward-jwt.ts', db: 'small', what: 'Scopeward, EdDSA JWT (issueToken kind: JWT)' },
  { key: 'I', file: 'scopeward-introspect.ts', db: 'small', what: 'Scopeward POST /oauth/introspect (token=<opaque>)' },
  { key: 'W', file: 'scopeward-issue.ts', db: 'small', what: 'Scopeward issueToken mutation over HTTP (token + audit row, WAL, synchronous=FULL)' },
  {
    key: 'WH',
    file: 'scopeward-issue-webhook.ts',
    db: 'small',
    webhook: true,
    env: { SCOPEWARD_WEBHOOK_ALLOW_PRIVATE: 'true', SCOPEWARD_WEBHOOK_ALLOW_HTTP: 'true' },
    what: 'W with one active webhook on token.issued (a 204 receiver in the orchestrator): each issuance writes its webhook event, the dispatcher delivers it',
  },
  {
    key: 'WO',
    file: 'scopeward-issue-webhook.ts',
    db: 'small',
    webhook: true,
    env: { SCOPEWARD_WEBHOOK_ALLOW_PRIVATE: 'true', SCOPEWARD_WEBHOOK_ALLOW_HTTP: 'true', SCOPEWARD_WEBHOOK_DELIVER: 'false' },
    what: 'WH with SCOPEWARD_WEBHOOK_DELIVER=false: each issuance writes its webhook event in its transaction (the outbox), nothing is sent',
  },
  { key: 'RAW', file: 'raw-insert.ts', db: 'small', what: 'raw better-sqlite3 single-row INSERT transactions, WAL + synchronous=FULL, in process' },
  { key: 'M', file: 'scopeward-opaque.ts', db: 'big', what: 'Scopeward, opaque token, 1,000,000 tokens in the database' },
  { key: 'A2', file: 'apollo.ts', db: 'small', what: 'A again, separate process, measured last in each round (A/A control, bracket)' },
  { key: 'P1', file: 'scopeward-opaque.ts', db: 'pg', what: 'S on PostgreSQL 15 (same list query, opaque token, 10k tokens), one server process' },
  {
    key: 'P2',
    file: 'scopeward-opaque.ts',
    db: 'pg',
    instances: 2,
    what: 'two S processes on the same PostgreSQL database, load split: 2 autocannon × half the connections, concurrently',
  },
  { key: 'SQ', file: 'scopeward-opaque.ts', db: 'small', env: { LOG_LEVEL: 'silent' }, what: 'S with logging off (LOG_LEVEL=silent): logging on ÷ off = S ÷ SQ' },
  {
    key: 'SC',
    file: 'scopeward-constrained.ts',
    db: 'small',
    what: 'S with a token carrying all three constraints (allowlist holding 127.0.0.1, rate limit 1e9/min, 1e9 credits): constraints cost = SC ÷ S',
  },
]

interface RunDef {
  key: string
  server: string
  kind: 'http' | 'raw' | 'authbench'
  what: string
  scale?: boolean
  /** Connections for this run (default --connections); 1 = unloaded latency. */
  connections?: number
  /** Overrides of the server's default request. */
  request?: (info: ServerInfo) => RequestSpec
}
interface RequestSpec {
  path: string
  method: string
  headers: Record<string, string>
  body: string
}
interface ServerInfo {
  port: number | null
  skip?: string
  request?: RequestSpec
  authHeader?: string
  deepCursor?: string
  [k: string]: unknown
}

const gql = (info: ServerInfo, query: string): RequestSpec => ({
  path: '/graphql',
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: info.authHeader as string },
  body: JSON.stringify({ query }),
})
const LIST_FIELDS = 'edges { node { id name scopes createdAt expiresAt app { id name } } }'
const whatOf = (key: string): string => SERVERS.find((s) => s.key === key)!.what
const RUNS: RunDef[] = [
  { key: 'A', server: 'A', kind: 'http', what: whatOf('A') },
  { key: 'AF', server: 'AF', kind: 'http', what: whatOf('AF') },
  { key: 'D', server: 'D', kind: 'http', what: whatOf('D') },
  { key: 'S', server: 'S', kind: 'http', what: whatOf('S') },
  {
    key: 'SF',
    server: 'S',
    kind: 'http',
    what: 'S (same process), the list query plus the per-token fields read through loaders: `createdBy { id name } usedScopes lastUsedAt`',
    request: (i) => gql(i, LIST_FIELDS_QUERY),
  },
  { key: 'SQ', server: 'SQ', kind: 'http', what: whatOf('SQ') },
  { key: 'SC', server: 'SC', kind: 'http', what: whatOf('SC') },
  { key: 'P1', server: 'P1', kind: 'http', what: whatOf('P1') },
  { key: 'P2', server: 'P2', kind: 'http', what: whatOf('P2') },
  { key: 'S0', server: 'S0', kind: 'http', what: whatOf('S0') },
  { key: 'J', server: 'J', kind: 'http', what: whatOf('J') },
  { key: 'I', server: 'I', kind: 'http', what: whatOf('I') },
  { key: 'W', server: 'W', kind: 'http', what: 'issueToken mutations/s over HTTP (Scopeward, 10k tokens)' },
  { key: 'WH', server: 'WH', kind: 'http', what: 'issueToken mutations/s over HTTP with an active token.issued webhook (deliveries counted by the receiver)' },
  { key: 'WO', server: 'WO', kind: 'http', what: 'issueToken mutations/s over HTTP with an active webhook and delivery off: the outbox alone' },
  { key: 'RAW', server: 'RAW', kind: 'raw', what: whatOf('RAW') },
  { key: 'S-viewer', server: 'S', kind: 'http', scale: true, what: 'token check over HTTP: { viewer { id } }, 10k tokens', request: (i) => gql(i, '{ viewer { id } }') },
  { key: 'M-viewer', server: 'M', kind: 'http', scale: true, what: 'token check over HTTP: { viewer { id } }, 1M tokens', request: (i) => gql(i, '{ viewer { id } }') },
  { key: 'M-list', server: 'M', kind: 'http', scale: true, connections: 1, what: 'list query, first page, 1M tokens, 1 connection (unloaded latency)' },
  {
    key: 'M-deep',
    server: 'M',
    kind: 'http',
    scale: true,
    connections: 1,
    what: 'list query after 900,000 rows (cursor), 1M tokens, 1 connection',
    request: (i) => gql(i, `{ tokens(first: 20, after: "${i.deepCursor}") { ${LIST_FIELDS} } }`),
  },
  { key: 'S-auth', server: 'S', kind: 'authbench', scale: true, what: 'in-process authenticate() over random seeded tokens, 10k tokens' },
  { key: 'M-auth', server: 'M', kind: 'authbench', scale: true, what: 'in-process authenticate() over random seeded tokens, 1M tokens' },
  { key: 'A2', server: 'A2', kind: 'http', what: whatOf('A2') },
]

// ---------------------------------------------------------------- child processes
class Child {
  proc!: ChildProcess
  info!: ServerInfo
  #seq = 0
  #waiting = new Map<number, (msg: any) => void>()
  constructor(
    readonly def: ServerDef,
    readonly dbFile: string,
    readonly count: number,
    readonly extraFlags: string[] = [],
  ) {}

  async start(): Promise<ServerInfo> {
    const file = compiled ? join(compiled, 'bench', 'servers', this.def.file.replace(/\.ts$/, '.js')) : join(BENCH, 'servers', this.def.file)
    const args = [...(compiled ? [] : ['--import', 'tsx']), ...this.extraFlags, file, '--db', this.dbFile, ...(this.def.args ?? [])]
    if (this.def.file.startsWith('scopeward')) args.push('--count', String(this.count))
    const webhook = this.def.webhook ? { BENCH_WEBHOOK_URL: receiver.url() } : {}
    this.proc = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', ...this.def.env, ...webhook },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    })
    this.proc.on('message', (msg: any) => {
      const resolve = this.#waiting.get(msg.id)
      if (resolve) {
        this.#waiting.delete(msg.id)
        resolve(msg)
      }
    })
    // The first non-log JSON line on stdout; the server's log after it (Scopeward logs to stdout, as `scopeward serve` does) goes to a `cat > /dev/null` (readAnnounce).
    this.info = await new Promise<ServerInfo>((resolve, reject) => {
      readAnnounce<ServerInfo>(this.proc.stdout!, this.def.key).then(resolve, reject)
      this.proc.once('exit', (code) => reject(new Error(`${this.def.key} exited with ${code} before announcing`)))
    })
    return this.info
  }

  call(msg: Record<string, unknown>, timeoutMs = 120_000): Promise<any> {
    const id = ++this.#seq
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.def.key}: no answer to ${String(msg.type)}`)), timeoutMs)
      this.#waiting.set(id, (m) => {
        clearTimeout(timer)
        if (m.type === 'error') reject(new Error(`${this.def.key}: ${m.message}`))
        else resolve(m)
      })
      this.proc.send({ ...msg, id })
    })
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return
    const exited = new Promise((r) => this.proc.once('exit', r))
    try {
      this.proc.send({ type: 'exit' })
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(t)
  }
}

function runNode(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } })
    let out = ''
    p.stdout.on('data', (c) => (out += c))
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}`))))
  })
}

// ---------------------------------------------------------------- webhook receiver (WH)
/** The webhook receiver of the WH variant, in this process (its CPU is not the server's): answers 204 and counts what arrives. */
const receiver = (() => {
  let server: Server | null = null
  let port = 0
  let received = 0
  return {
    async start(): Promise<void> {
      server = createServer((req, res) => {
        req.resume()
        req.on('end', () => {
          received++
          res.writeHead(204).end()
        })
      })
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
      port = (server.address() as AddressInfo).port
    },
    url: (): string => `http://127.0.0.1:${port}/hook`,
    /** Waits until nothing has arrived for 1 s (the dispatcher caught up), at most `maxMs`. */
    async quiet(maxMs = 60_000): Promise<void> {
      const end = Date.now() + maxMs
      let last = -1
      while (received !== last && Date.now() < end) {
        last = received
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    },
    received: (): number => received,
    stop: (): Promise<void> => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
  }
})()

// ---------------------------------------------------------------- load
interface Sample {
  round: number
  key: string
  rps: number
  p50: number
  p99: number
  mean: number
  cpuUsPerReq: number
  hwmMiB: number
  /** CPU used on the machine by processes other than this server and the orchestrator during the run, in cores (2 = whole machine). */
  foreign: number
  ok: number
  bad: number
  /** PostgreSQL variants: CPU of the bench database's backend processes per request sent (µs, 10 ms tick resolution); not in cpuUsPerReq. */
  dbCpuUsPerReq?: number
  /** Multi-instance variants: req/s of each instance. */
  perInstanceRps?: number[]
  /** Webhook variants: deliveries the receiver got between the run's start and the server settling after it. */
  delivered?: number
  note?: string
}

const procTicks = (pid: number | 'self'): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return Number(f[11]) + Number(f[12])
}
const machineBusyTicks = (): number => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]! // user nice system irq softirq steal
}
/** Name of the PostgreSQL bench database (P variants), set in main once created. */
let pgDbName: string | null = null
/** CPU ticks of the PostgreSQL backends serving `db` (process title `postgres: [<cluster>: ]<user> <db> <host>(<port>) …`), by pid; shared processes (walwriter, checkpointer) are not included. */
function pgBackendTicks(db: string): Map<number, number> {
  const out = new Map<number, number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8')
      // Title "postgres: [cluster: ]user db host(port) state"; the random db name cannot collide with another word.
      if (cmd.startsWith('postgres: ') && cmd.split(/[\s\0]+/).includes(db)) out.set(Number(d), procTicks(Number(d)))
    } catch {
      /* gone */
    }
  }
  return out
}
/** Foreign CPU (cores) during a run: machine busy minus the server processes, this orchestrator and (P variants) the bench database's backends, whose ticks are returned too. */
function foreignMeter(pids: number[], pgDb: string | null = null) {
  const t0 = Date.now(),
    m0 = machineBusyTicks(),
    s0 = pids.map((p) => procTicks(p)),
    o0 = procTicks('self')
  const d0 = pgDb ? pgBackendTicks(pgDb) : new Map<number, number>()
  return () => {
    const secs = (Date.now() - t0) / 1000
    const server = pids.reduce((a, p, i) => a + procTicks(p) - s0[i]!, 0)
    let dbTicks = 0
    if (pgDb) for (const [pid, t] of pgBackendTicks(pgDb)) dbTicks += t - (d0.get(pid) ?? 0) // a backend born during the run counts from 0
    return { cores: (machineBusyTicks() - m0 - server - (procTicks('self') - o0) - dbTicks) / 100 / secs, dbTicks }
  }
}

/** Waits until the server process is idle (< 5 % of a core over 200 ms): requests still queued when autocannon stops must not leak into the next run. */
async function settle(pid: number, maxMs = 20_000): Promise<void> {
  const ticks = () => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return Number(f[11]) + Number(f[12]) // utime + stime, clock ticks (100/s)
  }
  const end = Date.now() + maxMs
  let last = ticks()
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200))
    const now = ticks()
    if (now - last <= 1) return
    last = now
  }
}

async function load(info: ServerInfo, spec: RequestSpec, seconds: number, connections = CONNECTIONS) {
  return autocannon({
    url: `http://127.0.0.1:${info.port}${spec.path}`,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    connections,
    pipelining: 1,
    duration: seconds,
  })
}

async function measure(run: RunDef, group: Child[], round: number): Promise<Sample> {
  const child = group[0]!
  if (run.kind === 'raw' || run.kind === 'authbench') await settle(child.proc.pid!)
  if (run.kind === 'raw') {
    await child.call({ type: 'mark' })
    const foreign = foreignMeter([child.proc.pid!])
    const r = (await child.call({ type: 'task', name: 'run', ms: SCALE_DURATION * 1000 })).result
    const s = await child.call({ type: 'stats' })
    return {
      round,
      key: run.key,
      rps: r.perSec,
      p50: NaN,
      p99: NaN,
      mean: 1000 / r.perSec,
      cpuUsPerReq: r.cpuUsPerOp,
      hwmMiB: s.hwmKb / 1024,
      foreign: foreign().cores,
      ok: r.ops,
      bad: 0,
    }
  }
  if (run.kind === 'authbench') {
    const foreign = foreignMeter([child.proc.pid!])
    const r = (await child.call({ type: 'task', name: 'authbench', ms: QUICK ? 500 : 1500 })).result
    const s = await child.call({ type: 'stats' })
    return {
      round,
      key: run.key,
      rps: 1e6 / r.usPerOp,
      p50: NaN,
      p99: NaN,
      mean: r.usPerOp / 1000,
      cpuUsPerReq: r.cpuUsPerOp,
      hwmMiB: s.hwmKb / 1024,
      foreign: foreign().cores,
      ok: r.ops,
      bad: 0,
    }
  }
  const seconds = run.scale ? SCALE_DURATION : DURATION
  const pgDb = SERVERS.find((d) => d.key === run.server)?.db === 'pg' ? pgDbName : null
  const pids = group.map((c) => c.proc.pid!)
  const webhook = SERVERS.find((d) => d.key === run.server)?.webhook === true
  // WH: the deliveries of earlier runs (warm-up) are done before this one starts.
  if (webhook) await receiver.quiet()
  for (const pid of pids) await settle(pid)
  await Promise.all(group.map((c) => c.call({ type: 'mark' })))
  const delivered0 = receiver.received()
  const foreign = foreignMeter(pids, pgDb)
  // Several instances: one autocannon per instance, concurrently, the connections split evenly (P2: 2 × 25), same duration.
  const connections = Math.max(1, Math.round((run.connections ?? CONNECTIONS) / group.length))
  const results = await Promise.all(group.map((c) => load(c.info, run.request ? run.request(c.info) : (c.info.request as RequestSpec), seconds, connections)))
  const meter = foreign()
  // WH: the dispatcher's deliveries of this run are done before the CPU is read, so it counts theirs.
  if (webhook) await receiver.quiet()
  for (const pid of pids) await settle(pid)
  const stats = await Promise.all(group.map((c) => c.call({ type: 'stats' })))
  const ok = results.reduce((a, r) => a + r['2xx'], 0)
  // CPU is counted until the servers are idle again, so divide by every request sent (in-flight ones at the end included).
  const sent = results.reduce((a, r) => a + Math.max(r['2xx'], r.requests.sent ?? r['2xx']), 0)
  const bad = results.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0)
  const cpuUs = stats.reduce((a, x) => a + x.cpuUs, 0)
  // Latency over instances: p50/p99 = the worse (max) of the instances' percentiles (conservative, percentiles do not add);
  // mean = mean weighted by each instance's 2xx count (exact for the mean).
  const worst = (f: (r: (typeof results)[number]) => number) => Math.max(...results.map(f))
  const weightedMean = ok > 0 ? results.reduce((a, r) => a + r.latency.average * r['2xx'], 0) / ok : results[0]!.latency.average
  return {
    round,
    key: run.key,
    rps: ok / seconds,
    p50: worst((r) => r.latency.p50),
    p99: worst((r) => r.latency.p99),
    mean: weightedMean,
    cpuUsPerReq: sent > 0 ? cpuUs / sent : NaN,
    hwmMiB: Math.max(...stats.map((x) => x.hwmKb / 1024)),
    foreign: meter.cores,
    ok,
    bad,
    ...(pgDb ? { dbCpuUsPerReq: sent > 0 ? (meter.dbTicks * 10_000) / sent : NaN } : {}),
    ...(group.length > 1 ? { perInstanceRps: results.map((r) => r['2xx'] / seconds) } : {}),
    ...(webhook ? { delivered: receiver.received() - delivered0 } : {}),
  }
}

// ---------------------------------------------------------------- statistics
const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? (Math.abs(x) >= 10000 && digits === 0 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(digits)) : '–')
const range = (xs: number[], digits = 0): string => {
  const f = xs.filter(Number.isFinite)
  if (f.length === 0) return '–'
  if (f.length === 1) return fmt(f[0]!, digits)
  return `${fmt(median(f), digits)} (${fmt(Math.min(...f), digits)}–${fmt(Math.max(...f), digits)})`
}

// ---------------------------------------------------------------- profile mode
async function profile(key: string, small: string, big: string, tmp: string) {
  // A run key that shares another variant's server (SF: the S process) profiles that server answering the run's request.
  const run = RUNS.find((r) => r.key === key && !r.scale)
  const def = SERVERS.find((s) => s.key === (run?.server ?? key))
  if (!def) throw new Error(`unknown server ${key}`)
  const dir = join(BENCH, 'results', 'profiles', `${key}-${Date.now()}`)
  mkdirSync(dir, { recursive: true })
  const db = join(tmp, `${def.key}.db`)
  copyFileSync(def.db === 'big' ? big : small, db)
  const profStart = Date.now()
  if (def.webhook) await receiver.start()
  const child = new Child(def, db, def.db === 'big' ? BIG : SMALL, ['--cpu-prof', `--cpu-prof-dir=${dir}`])
  const info = await child.start()
  if (info.skip) throw new Error(`${def.key} skipped: ${info.skip}`)
  console.log(`warm-up ${WARMUP}s, then ${opt['profile-seconds']}s under --cpu-prof`)
  const request = run?.request?.(info) ?? info.request!
  await load(info, request, WARMUP)
  await child.call({ type: 'mark' })
  const seconds = Number(opt['profile-seconds'])
  const r = await load(info, request, seconds)
  const s = await child.call({ type: 'stats' })
  console.log(
    `${key}: ${(r['2xx'] / seconds).toFixed(0)} req/s, ${(s.cpuUs / r['2xx']).toFixed(0)} CPU µs/req (profiler on)${def.webhook ? `, ${receiver.received()} webhook deliveries received in all` : ''}`,
  )
  await child.stop()
  // --cpu-prof writes one file per thread (under --tsx, tsx's loader worker too): take the largest of this run, the main thread.
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= profStart)
    .sort((a, b) => statSync(b).size - statSync(a).size)[0]!
  const md = summarizeProfile(newest, compiled ?? ROOT)
  const out = join(dir, 'summary.md')
  writeFileSync(
    out,
    `# CPU profile of ${key} (${run?.what ?? def.what})\n\n${(r['2xx'] / seconds).toFixed(0)} req/s, ${(s.cpuUs / r['2xx']).toFixed(0)} CPU µs/req under the profiler; ${seconds} s of load after ${WARMUP} s warm-up; ${newest}\n\n${md}`,
  )
  console.log(md)
  console.log(`written ${out}`)
}

// ---------------------------------------------------------------- main
async function main() {
  const started = Date.now()
  const wanted = opt.variants ? new Set(opt.variants.split(',')) : null
  let runs = RUNS.filter((r) => !wanted || wanted.has(r.key) || r.key === 'A' || r.key === 'A2')
  if (opt['no-scale']) runs = runs.filter((r) => !r.scale)
  const needBig = !!opt.profile?.startsWith('M') || runs.some((r) => r.server === 'M')
  const tmp = mkdtempSync(join(tmpdir(), 'scopeward-bench-'))
  const children: Child[] = []
  let dropPg: (() => Promise<void>) | null = null
  const stopAll = async () => {
    await Promise.all(children.map((c) => c.stop().catch(() => {})))
    await receiver.stop()
    rmSync(tmp, { recursive: true, force: true })
    if (dropPg) await dropPg().catch((e) => console.error(`could not drop the PostgreSQL bench database: ${(e as Error).message}`))
  }
  process.on('SIGINT', () => void stopAll().then(() => process.exit(130)))
  process.on('SIGTERM', () => void stopAll().then(() => process.exit(143)))
  try {
    if (opt.profile && SERVERS.find((s) => s.key === opt.profile)?.db === 'pg') throw new Error('--profile supports the SQLite variants only')
    // The servers run compiled, as `npm start` runs Scopeward (bench/lib/compile.ts); the tree is in `tmp`, removed with it.
    if (!opt.tsx) {
      const compileStarted = Date.now()
      compiled = join(tmp, 'build')
      mkdirSync(compiled)
      compileCheckout(ROOT, compiled)
      console.log(`compiled src/ and bench/ into ${compiled} in ${((Date.now() - compileStarted) / 1000).toFixed(1)} s`)
    }
    const small = join(tmp, 'seed-10k.db')
    const big = join(tmp, 'seed-1m.db')
    const seedInfo: Record<string, unknown> = {}
    seedInfo.small = JSON.parse(await runNode(['--import', 'tsx', join(BENCH, 'seed.ts'), small, String(SMALL)]))
    if (needBig) seedInfo.big = JSON.parse(await runNode(['--import', 'tsx', join(BENCH, 'seed.ts'), big, String(BIG)]))
    // PostgreSQL variants: a fresh database scopeward_bench_<random>, dropped in stopAll (also on failure); skipped with a note when PostgreSQL does not answer.
    const skipped = new Map<string, string>()
    let pgUrl = ''
    const pgKeys = [...new Set(runs.map((r) => r.server))].filter((k) => SERVERS.find((s) => s.key === k)?.db === 'pg')
    if (pgKeys.length > 0 && !opt.profile) {
      const why = await pgUnavailable()
      if (why) {
        for (const k of pgKeys) skipped.set(k, why)
        console.log(`${pgKeys.join(', ')}: SKIPPED — ${why}`)
      } else {
        const pgDb = await createBenchDatabase()
        dropPg = () => pgDb.drop()
        pgUrl = pgDb.url
        pgDbName = pgDb.name
        seedInfo.pg = JSON.parse(await runNode(['--import', 'tsx', join(BENCH, 'seed-pg.ts'), pgUrl, String(SMALL)]))
      }
    }
    console.log('seeded', JSON.stringify(seedInfo))
    if (opt.profile) return await profile(opt.profile, small, big, tmp)

    // Start every server (one process each), sequentially.
    const serverKeys = [...new Set(runs.map((r) => r.server))]
    if (serverKeys.some((k) => SERVERS.find((s) => s.key === k)?.webhook)) await receiver.start()
    // One Child per server process; a multi-instance variant (P2) has several, all on the same database.
    const byKey = new Map<string, Child[]>()
    for (const key of serverKeys) {
      if (skipped.has(key)) continue
      const def = SERVERS.find((s) => s.key === key)!
      const db = def.db === 'pg' ? pgUrl : def.db === 'big' ? big : join(tmp, `${def.key}.db`)
      if (def.db === 'small') copyFileSync(small, db)
      const group: Child[] = []
      for (let n = 1; n <= (def.instances ?? 1); n++) {
        const child = new Child(n === 1 ? def : { ...def, key: `${def.key}#${n}` }, db, def.db === 'big' ? BIG : SMALL)
        children.push(child)
        group.push(child)
        const info = await child.start()
        if (info.skip) {
          skipped.set(key, info.skip)
          console.log(`${key}: SKIPPED — ${info.skip}`)
          break
        }
        console.log(`${child.def.key}: pid ${child.proc.pid} port ${info.port} started`)
      }
      if (skipped.has(key)) await Promise.all(group.map((c) => c.stop()))
      else byKey.set(key, group)
    }
    for (const r of runs) if (skipped.has(r.server)) skipped.set(r.key, skipped.get(r.server)!)
    const active = runs.filter((r) => byKey.has(r.server))

    // Correctness: one request of each HTTP run must answer 200 without GraphQL errors (and the deep page must start at row 900,000).
    for (const r of active.filter((x) => x.kind === 'http'))
      for (const child of byKey.get(r.server)!) {
        const spec = r.request ? r.request(child.info) : child.info.request!
        const res = await fetch(`http://127.0.0.1:${child.info.port}${spec.path}`, { method: spec.method, headers: spec.headers, body: spec.body })
        const text = await res.text()
        if (res.status !== 200 || text.includes('"errors"')) throw new Error(`${r.key}: check request answered ${res.status} ${text.slice(0, 300)}`)
        if (r.key === 'M-deep' && !text.includes(`"id":"${seedId(900_000)}"`)) throw new Error(`M-deep: first row is not seeded row 900,000: ${text.slice(0, 200)}`)
        if (r.key.endsWith('list') || ['S', 'SF', 'SC', 'A', 'P1', 'P2'].includes(r.key)) {
          const edges = (JSON.parse(text) as { data: { tokens: { edges: { node: Record<string, unknown> }[] } } }).data.tokens.edges
          if (edges.length !== 20) throw new Error(`${r.key}: ${edges.length} edges, expected 20`)
          // SF: the per-token fields must read real rows (bench/seed.ts gives each token a creator, a last use and, for the first page, usage).
          const first = edges[0]!.node
          if (r.key === 'SF' && (first.createdBy === null || (first.usedScopes as unknown[]).length === 0 || first.lastUsedAt === null))
            throw new Error(`SF: per-token fields empty: ${JSON.stringify(first)}`)
        }
        if (r.key === 'AF' && (JSON.parse(text) as { data: { tokens: unknown[] } }).data.tokens.length !== 20) throw new Error(`AF: expected 20 tokens: ${text.slice(0, 200)}`)
      }

    // Warm-up: each HTTP server under load, sequentially (JIT needs ~10 s on this machine).
    for (const [key, group] of byKey) {
      const child = group[0]!
      if (child.info.port === null) {
        await child.call({ type: 'task', name: 'run', ms: 1000 })
        continue
      }
      for (const r of active.filter((x) => x.server === key && x.kind === 'http')) {
        // Several instances are warmed up together, as they are measured: connections split across them.
        const connections = Math.max(1, Math.round((r.connections ?? CONNECTIONS) / group.length))
        await Promise.all(group.map((c) => load(c.info, r.request ? r.request(c.info) : c.info.request!, r.scale ? Math.max(1, Math.round(WARMUP / 3)) : WARMUP, connections)))
      }
      for (const c of group) await settle(c.proc.pid!)
      console.log(`${key}: warmed up`)
    }

    const samples: Sample[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      for (const run of active) {
        const s = await measure(run, byKey.get(run.server)!, round)
        samples.push(s)
        const extra = `${s.delivered !== undefined ? `  webhook deliveries ${s.delivered} for ${s.ok} issued` : ''}${s.dbCpuUsPerReq !== undefined ? `  pg backends ${fmt(s.dbCpuUsPerReq)} µs/req` : ''}${s.perInstanceRps ? `  per instance ${s.perInstanceRps.map((x) => fmt(x)).join(' + ')} /s` : ''}`
        console.log(
          `round ${round} ${run.key.padEnd(9)} ${fmt(s.rps).padStart(7)} /s  p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} mean ${fmt(s.mean, 2)} ms  cpu ${fmt(s.cpuUsPerReq)} µs/req  hwm ${fmt(s.hwmMiB)} MiB  foreign ${fmt(s.foreign, 2)} cores${extra}${s.bad ? `  NON-2XX/ERRORS ${s.bad}` : ''}`,
        )
      }
    }
    // Peak RSS read by the orchestrator too (VmHWM of each server process at the end).
    const hwm = new Map<string, number[]>()
    for (const [key, group] of byKey)
      hwm.set(
        key,
        group.map((c) => procStatusKb(c.proc.pid!, 'VmHWM') / 1024),
      )

    const report = buildReport(active, samples, skipped, hwm, seedInfo, Date.now() - started)
    console.log('\n' + report)
    if (!opt['no-write']) {
      mkdirSync(join(BENCH, 'results'), { recursive: true })
      const stamp = new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)
      writeFileSync(join(BENCH, 'results', `run-${stamp}${QUICK ? '-quick' : ''}.md`), report)
      writeFileSync(join(BENCH, 'results', `run-${stamp}${QUICK ? '-quick' : ''}.json`), JSON.stringify({ samples, skipped: [...skipped], hwm: [...hwm], seedInfo }, null, 1))
      if (!QUICK && !opt.variants) writeFileSync(join(BENCH, 'results', 'latest-full.md'), report)
    }
  } finally {
    await stopAll()
  }
}

// ---------------------------------------------------------------- report
function buildReport(runs: RunDef[], samples: Sample[], skipped: Map<string, string>, hwm: Map<string, number[]>, seedInfo: Record<string, unknown>, ms: number): string {
  const of = (key: string) => samples.filter((s) => s.key === key)
  const inRound = (key: string, round: number) => samples.find((s) => s.key === key && s.round === round)
  /** Per-round ratio a/b of a metric, summarised as median (min–max); `b` is a run key, or 'bracket' for the mean of A and A2. */
  const ratio = (a: string, b: string, metric: (s: Sample) => number): number[] => {
    const out: number[] = []
    for (let r = 1; r <= ROUNDS; r++) {
      const x = inRound(a, r)
      if (!x) continue
      let denom: number
      if (b === 'bracket') {
        const a1 = inRound('A', r)
        const a2 = inRound('A2', r)
        denom = a1 && a2 ? (metric(a1) + metric(a2)) / 2 : a1 ? metric(a1) : NaN
      } else {
        const y = inRound(b, r)
        denom = y ? metric(y) : NaN
      }
      out.push(metric(x) / denom)
    }
    return out
  }
  const rps = (s: Sample) => s.rps
  const cpu = (s: Sample) => s.cpuUsPerReq
  const mean = (s: Sample) => s.mean
  const cmd = `NODE_ENV=production node --import tsx --min-semi-space-size=16 bench/run.ts ${process.argv.slice(2).join(' ')}`.trim()
  const how = compiled
    ? 'servers compiled by tsc (src/ and bench/, bench/lib/compile.ts) into a temporary folder and run with plain `node`, as `npm start` runs Scopeward'
    : 'servers run from bench/servers/*.ts under tsx (`node --import tsx`, --tsx): startup and RSS include tsx'
  const lines: string[] = []
  lines.push(`Command: \`${cmd}\``, '')
  lines.push(
    `Date ${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model}), load average at end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; wall time ${(ms / 1000).toFixed(0)} s.`,
  )
  lines.push(
    `${ROUNDS} round(s); ${DURATION} s per main run, ${SCALE_DURATION} s per scale run, ${WARMUP} s warm-up per server; autocannon ${CONNECTIONS} connections, pipelining 1, on 127.0.0.1; one server process per variant, NODE_ENV=production, no V8 flag (as npm start runs Scopeward; the orchestrator alone runs with --min-semi-space-size=16); ${how}. Seeding: ${JSON.stringify(seedInfo)}.`,
    '',
  )
  lines.push(
    'req/s = 2xx responses per second; p50/p99 = autocannon latency (ms, 1 ms resolution); CPU = server process user+sys per successful request (all threads); peak RSS = VmHWM of the server process at the end of the run; foreign CPU = cores used during the run by processes other than the server and the orchestrator (other sessions on this shared machine; anything well above ~0.1 means the run competed for the 2 cores). Each cell: median over rounds (min–max). "÷ bracket": ratio to the mean of the same round\'s A (first run) and A2 (last run).',
    '',
  )
  lines.push('| variant | what | req/s | p50 ms | p99 ms | mean ms | server CPU µs/req | req/s ÷ bracket | CPU/req ÷ bracket | peak RSS MiB | foreign CPU (cores) | non-2xx |')
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const run of runs) {
    const s = of(run.key)
    const unit = run.kind === 'raw' ? ' (inserts/s)' : run.kind === 'authbench' ? ' (checks/s, 1 in flight)' : ''
    const http = run.kind === 'http' && !run.scale
    lines.push(
      `| ${run.key} | ${run.what}${unit} | ${range(s.map(rps))} | ${range(s.map((x) => x.p50))} | ${range(s.map((x) => x.p99))} | ${range(s.map(mean), 3)} | ${range(s.map(cpu))} | ${http ? range(ratio(run.key, 'bracket', rps), 2) : '–'} | ${http ? range(ratio(run.key, 'bracket', cpu), 2) : '–'} | ${(hwm.get(run.server) ?? [NaN]).map((x) => fmt(x)).join(' / ')} | ${range(
        s.map((x) => x.foreign),
        2,
      )} | ${s.reduce((a, x) => a + x.bad, 0)} |`,
    )
  }
  for (const [key, why] of skipped) if (RUNS.find((r) => r.key === key)) lines.push(`| ${key} | SKIPPED: ${why} | | | | | | | | | | |`)
  lines.push('')

  // PostgreSQL variants: what the columns mean for them, backend CPU, per-instance split.
  const pgRuns = runs.filter((r) => SERVERS.find((d) => d.key === r.server)?.db === 'pg')
  if (pgRuns.length > 0) {
    lines.push(
      'PostgreSQL variants (P1, P2): a fresh database `scopeward_bench_<random>` (seeded by bench/seed-pg.ts with the same 10k tokens, dropped at the end), PostgreSQL on the same 2 cores. "server CPU" is the Scopeward process(es) only; the PostgreSQL backends serving the bench database are measured separately below and are excluded from "foreign CPU". P2 = two server processes on the same database, each driven by its own autocannon with half the connections, concurrently, for the same duration: req/s = sum of both; p50/p99 = the worse of the two instances\' percentiles (percentiles cannot be added); mean = mean weighted by each instance\'s responses; server CPU/req = both processes\' CPU ÷ both instances\' requests; peak RSS = each process (instance 1 / instance 2).',
      '',
    )
    lines.push('| variant | PostgreSQL backend CPU µs/req | server + backend CPU µs/req | req/s per instance |', '| --- | ---: | ---: | --- |')
    for (const run of pgRuns) {
      const s = of(run.key)
      const inst = s
        .filter((x) => x.perInstanceRps)
        .map((x) => x.perInstanceRps!.map((v) => fmt(v)).join(' + '))
        .join('; ')
      lines.push(`| ${run.key} | ${range(s.map((x) => x.dbCpuUsPerReq ?? NaN))} | ${range(s.map((x) => x.cpuUsPerReq + (x.dbCpuUsPerReq ?? NaN)))} | ${inst || '–'} |`)
    }
    lines.push('')
    lines.push('| ratio (per round) | median (min–max) |', '| --- | ---: |')
    lines.push(`| P1 ÷ S req/s (PostgreSQL ÷ SQLite, one instance) | ${range(ratio('P1', 'S', rps), 2)} |`)
    lines.push(`| P2 ÷ P1 req/s (two instances ÷ one, PostgreSQL) | ${range(ratio('P2', 'P1', rps), 2)} |`)
    lines.push(`| P2 ÷ S req/s (two PostgreSQL instances ÷ one SQLite instance) | ${range(ratio('P2', 'S', rps), 2)} |`)
    lines.push(`| P1 ÷ S server CPU/req | ${range(ratio('P1', 'S', cpu), 2)} |`)
    lines.push(`| P2 ÷ P1 server CPU/req | ${range(ratio('P2', 'P1', cpu), 2)} |`)
    lines.push('')
  }

  // Targets.
  const target = (name: string, values: number[], op: '>=' | '<=', limit: number, how: string) => {
    const m = median(values)
    if (!Number.isFinite(m)) return `| ${name} | not measured (${how}) | ${op} ${limit} | – |`
    const met = op === '>=' ? m >= limit : m <= limit
    return `| ${name} | ${range(values, 2)} | ${op} ${limit} | **${met ? 'met' : 'NOT met'}** |`
  }
  const skipNote = (k: string) => (skipped.has(k) ? `skipped: ${skipped.get(k)}` : 'variant not run')
  const rss = (k: string) => hwm.get(k)?.[0] ?? NaN
  lines.push('| target | measured: median (min–max) of per-round ratios | goal | verdict |', '| --- | ---: | ---: | --- |')
  lines.push(target('Scopeward opaque ÷ bare Apollo, req/s (÷ bracket)', ratio('S', 'bracket', rps), '>=', 1.2, skipNote('S')))
  lines.push(target('Scopeward JWT ÷ bare Apollo, req/s (÷ bracket)', ratio('J', 'bracket', rps), '>=', 1.1, skipNote('J')))
  lines.push(target('Scopeward opaque ÷ Apollo+shield, req/s', ratio('S', 'D', rps), '>=', 1.5, skipNote('D')))
  lines.push(target('per-token fields in a list (createdBy, usedScopes, lastUsedAt) ÷ without, server CPU/request (SF ÷ S)', ratio('SF', 'S', cpu), '<=', 1.3, skipNote('SF')))
  lines.push(target('(info) Scopeward opaque ÷ bare Apollo with a flat list, req/s (S ÷ AF)', ratio('S', 'AF', rps), '>=', 1.2, skipNote('AF')))
  lines.push(target('(info) bare Apollo flat list ÷ connection, req/s (AF ÷ A)', ratio('AF', 'A', rps), '>=', 1, skipNote('AF')))
  lines.push(target('directive engine on ÷ off, server CPU/request (S ÷ S0)', ratio('S', 'S0', cpu), '<=', 1.03, skipNote('S0')))
  lines.push(target('(info) logging on ÷ off, req/s (S ÷ SQ)', ratio('S', 'SQ', rps), '>=', 0.95, skipNote('SQ')))
  lines.push(target('all three constraints ÷ none, server CPU/request (SC ÷ S)', ratio('SC', 'S', cpu), '<=', 1.1, skipNote('SC')))
  lines.push(target('(info) all three constraints ÷ none, req/s (SC ÷ S)', ratio('SC', 'S', rps), '>=', 0.9, skipNote('SC')))
  const logUs: number[] = []
  for (let r = 1; r <= ROUNDS; r++) {
    const on = inRound('S', r)
    const off = inRound('SQ', r)
    if (on && off) logUs.push(on.cpuUsPerReq - off.cpuUsPerReq)
  }
  lines.push(target('logging cost, server CPU µs/request (S − SQ)', logUs, '<=', 10, skipNote('SQ')))
  lines.push(target('token check 1M ÷ 10k, in-process authenticate() µs/op', ratio('M-auth', 'S-auth', mean), '<=', 1.2, skipNote('M-auth')))
  lines.push(target('(info) token check 1M ÷ 10k, HTTP { viewer } mean latency', ratio('M-viewer', 'S-viewer', mean), '<=', 1.2, skipNote('M-viewer')))
  lines.push(target('deep page (after 900,000) ÷ first page, mean latency, 1M, 1 connection', ratio('M-deep', 'M-list', mean), '<=', 1.2, skipNote('M-deep')))
  lines.push(target('(info) deep ÷ first page, server CPU/request', ratio('M-deep', 'M-list', cpu), '<=', 1.2, skipNote('M-deep')))
  lines.push(target('(info) list first page 1M ÷ 10k, server CPU/request', ratio('M-list', 'S', cpu), '<=', 1.2, skipNote('M-list')))
  lines.push(target('issueToken/s ÷ raw single-row inserts/s', ratio('W', 'RAW', rps), '>=', 0.7, skipNote('W')))
  lines.push(target('issueToken with an active webhook ÷ without, req/s (WH ÷ W)', ratio('WH', 'W', rps), '>=', 0.9, skipNote('WH')))
  lines.push(target('(info) issueToken with an active webhook ÷ without, server CPU/request (WH ÷ W)', ratio('WH', 'W', cpu), '<=', 1.1, skipNote('WH')))
  lines.push(target('issueToken with the outbox alone (an active webhook, delivery off) ÷ without, req/s (WO ÷ W)', ratio('WO', 'W', rps), '>=', 0.9, skipNote('WO')))
  lines.push(target('(info) the outbox alone ÷ without, server CPU/request (WO ÷ W)', ratio('WO', 'W', cpu), '<=', 1.1, skipNote('WO')))
  const wh = of('WH')
  if (wh.length > 0)
    lines.push(
      `| WH webhook deliveries received / tokens issued (2xx), per round | ${wh.map((x) => `${x.delivered ?? 0}/${x.ok}`).join(', ')} | every one (≥; a request cut off at the end may have issued too) | ${wh.every((x) => (x.delivered ?? 0) >= x.ok) ? '**met**' : '**NOT met**'} |`,
    )
  const rssRatio = rss('M') / rss('A')
  lines.push(
    target('peak RSS at 1M tokens (M) ÷ bare Apollo (A)', Number.isFinite(rssRatio) ? [rssRatio] : [], '<=', 1.5, 'M or A not run') + ` (${fmt(rss('M'))} vs ${fmt(rss('A'))} MiB)`,
  )
  lines.push('')

  lines.push('Per round, req/s (÷ bracket):', '')
  lines.push(`| variant | ${Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1}`).join(' | ')} |`, `| --- |${' ---: |'.repeat(ROUNDS)}`)
  for (const run of runs) {
    const cells = Array.from({ length: ROUNDS }, (_, i) => {
      const s = inRound(run.key, i + 1)
      if (!s) return '–'
      const b = run.kind === 'http' && !run.scale ? ratio(run.key, 'bracket', rps)[i] : NaN
      return Number.isFinite(b) ? `${fmt(s.rps)} (${fmt(b!, 2)})` : fmt(s.rps)
    })
    lines.push(`| ${run.key} | ${cells.join(' | ')} |`)
  }
  return lines.join('\n') + '\n'
}

await main()
