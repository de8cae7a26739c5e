/**
 * Before/after on one machine in one run: the same bench server (bench/servers/<server>.ts) started
 * from two checkouts of this repository (e.g. a worktree of an older commit and this one), each on
 * its own copy of one seeded 10k-token SQLite database, measured in alternated rounds so that the
 * machine's noise falls on both alike. Reports req/s, p99 and the server's CPU µs per request.
 *
 *   node --import tsx bench/compare-checkouts.ts --base <dir> --head <dir> [--server scopeward-opaque] [--rounds 6] [--duration 8] [--target list|fields|healthz]
 *     [--base-env KEY=VALUE ...] [--head-env KEY=VALUE ...] [--tsx]
 * Each checkout's src/ and bench/ are compiled by tsc into a temporary folder first (bench/lib/compile.ts) and the
 * servers run with plain `node`, as `npm start` runs Scopeward; `--tsx` runs bench/servers/<server>.ts under tsx instead.
 * Both sides may be the same checkout with different settings: `--base <dir> --head <dir> --base-env LOG_LEVEL=silent`
 * gives logging on ÷ off. Scopeward's bench servers log as `scopeward serve` does (LOG_LEVEL, default info).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { Readable } from 'node:stream'
import autocannon, { type Options, type Result } from 'autocannon'
import { LIST_FIELDS_QUERY, readAnnounce } from './lib/child.js'
import { compileCheckout } from './lib/compile.js'

interface Announced {
  port: number
  request: { path: string; headers: Record<string, string>; body: string }
}

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    head: { type: 'string', default: process.cwd() },
    server: { type: 'string', default: 'scopeward-opaque' },
    rounds: { type: 'string', default: '6' },
    duration: { type: 'string', default: '8' },
    target: { type: 'string', default: 'list' },
    'base-env': { type: 'string', multiple: true, default: [] },
    'head-env': { type: 'string', multiple: true, default: [] },
    tsx: { type: 'boolean', default: false },
  },
})
if (!values.base) throw new Error('--base <dir> is required: a checkout of the commit to compare against')
const trees = { base: values.base, head: values.head }
const rounds = Number(values.rounds)
const duration = Number(values.duration)
const dir = mkdtempSync(join(tmpdir(), 'sw-compare-'))
// The seeded databases and the compiled trees are removed on every exit (also on failure and Ctrl-C).
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130))
/** Compiled tree of each checkout (bench/lib/compile.ts), one per distinct folder; none with --tsx. */
const builds = new Map<string, string>()
if (!values.tsx)
  for (const tree of new Set([resolve(trees.base), resolve(trees.head)])) {
    const into = join(dir, `build-${builds.size}`)
    mkdirSync(into)
    compileCheckout(tree, into)
    builds.set(tree, into)
  }
const seed = join(dir, 'seed.db')
execFileSync(process.execPath, ['--import', 'tsx', 'bench/seed.ts', seed, '10000'], { cwd: trees.head, stdio: 'ignore' })

/** `KEY=VALUE` settings for one side's server process (e.g. `--head-env LOG_LEVEL=silent`). */
const envOf = (pairs: string[]): Record<string, string> => Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]))
const extraEnv = { base: envOf(values['base-env']), head: envOf(values['head-env']) }

async function start(name: 'base' | 'head', cwd: string): Promise<{ proc: ChildProcess; info: Announced }> {
  const db = join(dir, `${name}.db`)
  copyFileSync(seed, db)
  const build = builds.get(resolve(cwd))
  const server = build ? [join(build, 'bench', 'servers', `${values.server}.js`)] : ['--import', 'tsx', `bench/servers/${values.server}.ts`]
  const proc = spawn(process.execPath, [...server, '--db', db, '--count', '10000'], {
    cwd,
    env: { ...process.env, NODE_ENV: 'production', ...extraEnv[name] },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  })
  // The server's log follows on stdout (Scopeward logs as `scopeward serve` does): readAnnounce hands it to a `cat > /dev/null`.
  const info = await readAnnounce<Announced>(proc.stdout as Readable, name)
  return { proc, info }
}

let seq = 0
const ask = (proc: ChildProcess, type: string): Promise<{ cpuUs: number }> =>
  new Promise((resolve) => {
    const id = ++seq
    const on = (message: { id: number; cpuUs: number }): void => {
      if (message.id !== id) return
      proc.off('message', on)
      resolve(message)
    }
    proc.on('message', on)
    proc.send({ type, id })
  })

const load = (info: Announced, seconds: number): Promise<Result> => {
  const options: Options =
    values.target === 'healthz'
      ? { url: `http://127.0.0.1:${info.port}/healthz`, connections: 50, duration: seconds }
      : {
          url: `http://127.0.0.1:${info.port}${info.request.path}`,
          method: 'POST',
          headers: info.request.headers,
          // fields: the server's list request plus the per-token fields (run.ts's SF), with the same token.
          body: values.target === 'fields' ? JSON.stringify({ query: LIST_FIELDS_QUERY }) : info.request.body,
          connections: 50,
          duration: seconds,
        }
  return autocannon(options)
}

const servers = { base: await start('base', trees.base), head: await start('head', trees.head) }
for (const server of Object.values(servers)) await load(server.info, 3)
const rps: Record<string, number[]> = { base: [], head: [] }
const cpu: Record<string, number[]> = { base: [], head: [] }
for (let round = 0; round < rounds; round++) {
  for (const name of round % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const)) {
    const server = servers[name]
    await ask(server.proc, 'mark')
    const result = await load(server.info, duration)
    const stats = await ask(server.proc, 'stats')
    if (result.non2xx || result.errors) console.log(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`)
    rps[name]?.push(result.requests.average)
    cpu[name]?.push(stats.cpuUs / result.requests.total)
    console.log(
      `round ${round + 1} ${name}: ${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms, server CPU ${(stats.cpuUs / result.requests.total).toFixed(0)} µs/req`,
    )
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN
for (const name of ['base', 'head']) console.log(`${name}: median ${median(rps[name] ?? []).toFixed(0)} req/s, server CPU median ${median(cpu[name] ?? []).toFixed(0)} µs/req`)
console.log(`head ÷ base: ${(median(rps.head ?? []) / median(rps.base ?? [])).toFixed(2)}x req/s, ${(median(cpu.head ?? []) / median(cpu.base ?? [])).toFixed(2)}x CPU per request`)
for (const server of Object.values(servers)) server.proc.kill()
