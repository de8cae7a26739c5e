/**
 * Soak test: a bounded mixed load against a real `scopeward serve` child on loopback.
 *
 *   node --import tsx bench/soak.ts [--seconds 60] [--concurrency 16]
 *
 * Mix: reads with a narrow token (60%), issues (15%), revocations of tokens issued earlier (10%),
 * bad tokens (15%). Prints the request count, counts by status, the 5xx count and the child's RSS
 * (start, after warm-up, end, peak from /proc/<pid>/status). Exits 1 on any 5xx, a network error,
 * or RSS growing more than 50% between the end of warm-up (the first fifth of the run, at least
 * 5 s) and the end.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const { values: opt } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '16' } } })
const seconds = Number(opt.seconds)
const concurrency = Number(opt.concurrency)
if (!(seconds > 0) || !(concurrency > 0)) throw new Error('--seconds and --concurrency must be positive numbers')

const ISSUE = 'mutation($input: IssueTokenInput!) { issueToken(input: $input) { secret token { id } } }'
const REVOKE = 'mutation($id: ID!) { revokeToken(id: $id, reason: "soak") { id status } }'
const READS = ['{ viewer { id scopes expiresAt } }', '{ tokens(first: 20) { totalCount edges { node { id name status scopes app { id } } } } }']

function rssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : NaN
}

const dir = mkdtempSync(join(tmpdir(), 'scopeward-soak-'))
// Bad tokens come from one address here: the failed-authentication throttle would turn the run into 429s.
const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--db', join(dir, 'soak.db'), '--port', '0'], {
  cwd: ROOT,
  env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', SCOPEWARD_DB: '', PORT: '', SCOPEWARD_AUTH_FAILURES_PER_MINUTE: '1000000' },
  stdio: ['ignore', 'ignore', 'pipe'],
})
let stderr = ''
const url = await new Promise<string>((resolve, reject) => {
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8')
    const m = /listening on (http:\/\/[^/\s]+)\/graphql/.exec(stderr)
    if (m) resolve(m[1] as string)
  })
  child.on('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)))
})
const root = /(swt_[A-Za-z0-9]{54})/.exec(stderr)?.[1] as string
const pid = child.pid as number

const statuses = new Map<string, number>()
let total = 0
async function gql(token: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  let key: string
  let body: any = null
  try {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    })
    body = await res.json()
    key = String(res.status)
  } catch {
    key = 'network error'
  }
  total++
  statuses.set(key, (statuses.get(key) ?? 0) + 1)
  return body
}

const reader = (await gql(root, ISSUE, { input: { name: 'soak-reader', scopes: ['tokens:read'] } })).data.issueToken.secret as string
const revocable: string[] = []
const bad = `swt_${'A'.repeat(54)}`

const started = Date.now()
const deadline = started + seconds * 1000
const warmupMs = Math.max(5000, (seconds * 1000) / 5)
const rss = { start: rssKb(pid, 'VmRSS'), warm: NaN, end: NaN, peak: NaN }
const sampler = setInterval(() => {
  if (Number.isNaN(rss.warm) && Date.now() - started >= warmupMs) rss.warm = rssKb(pid, 'VmRSS')
}, 250)

async function worker(w: number): Promise<void> {
  for (let n = 0; Date.now() < deadline; n++) {
    const roll = (w * 7919 + n * 104729) % 100
    if (roll < 60) await gql(reader, READS[n % READS.length] as string)
    else if (roll < 75) {
      const issued = await gql(root, ISSUE, { input: { name: `soak-${w}-${n}`, scopes: ['tokens:read'], expiresIn: 'P1D' } })
      const id = issued?.data?.issueToken?.token?.id
      if (id) revocable.push(id)
    } else if (roll < 85 && revocable.length > 0) await gql(root, REVOKE, { id: revocable.shift() })
    else await gql(bad, READS[0] as string)
  }
}
await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)))
clearInterval(sampler)
const elapsed = (Date.now() - started) / 1000
rss.end = rssKb(pid, 'VmRSS')
rss.peak = rssKb(pid, 'VmHWM')
if (Number.isNaN(rss.warm)) rss.warm = rss.start
child.kill('SIGTERM')
const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
rmSync(dir, { recursive: true, force: true })

const errors5xx = [...statuses].filter(([k]) => k.startsWith('5')).reduce((a, [, v]) => a + v, 0)
const networkErrors = statuses.get('network error') ?? 0
const growth = (rss.end - rss.warm) / rss.warm
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`
console.log(`soak: ${seconds} s, ${concurrency} concurrent clients, mix 60% reads / 15% issues / 10% revokes / 15% bad tokens`)
console.log(`requests: ${total} (${Math.round(total / elapsed)} req/s)`)
console.log(
  `by status: ${[...statuses]
    .sort()
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')}`,
)
console.log(`5xx: ${errors5xx}, network errors: ${networkErrors}`)
console.log(
  `server RSS: start ${mb(rss.start)}, after warm-up (${warmupMs / 1000} s) ${mb(rss.warm)}, end ${mb(rss.end)}, peak ${mb(rss.peak)}; growth after warm-up ${(growth * 100).toFixed(1)}%`,
)
console.log(`server exit after SIGTERM: ${exitCode}`)
const failed = errors5xx > 0 || networkErrors > 0 || growth > 0.5 || exitCode !== 0
console.log(failed ? 'FAIL' : 'PASS')
process.exit(failed ? 1 : 0)
