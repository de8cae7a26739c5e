/**
 * Where a bench server's memory goes under load: starts one server of bench/servers/ on a seeded copy
 * of the database (bench/seed.ts), samples `process.memoryUsage()` over IPC every 200 ms while
 * autocannon drives its request (50 connections), and prints the idle figures, the peak of each part
 * (rss, heapTotal, heapUsed, external, arrayBuffers) and VmHWM.
 *
 *   node --import tsx --min-semi-space-size=16 bench/mem-load.ts [--server scopeward-opaque.ts] [--count 10000]
 *        [--seconds 8] [--env LOG_LEVEL=silent ...] [--flag --max-semi-space-size=4 ...] [--compiled <dir>]
 *
 * `--compiled <dir>` runs the server from a tsc build of a checkout (this one or another: an older
 * checkout's servers do not answer the `memory` message, and only rss and VmHWM are shown, from /proc) (as `npm start` runs
 * Scopeward: compiled JavaScript, no tsx), e.g. after
 * `npx tsc -p tsconfig.json --noEmit false --outDir .tmp/build --sourceMap false`: tsx keeps each
 * module it compiles (and its source map) in memory, which costs a server of ~200 modules more
 * than one of five.
 *
 * The server's log goes to a `cat > /dev/null` of its own (bench/lib/child.ts `readAnnounce`), as in bench/run.ts.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { procStatusKb, readAnnounce } from './lib/child.js'
import { seedDatabase } from './seed.js'

const BENCH = dirname(fileURLToPath(import.meta.url))
const { values: opt } = parseArgs({
  options: {
    server: { type: 'string', default: 'scopeward-opaque.ts' },
    count: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '8' },
    env: { type: 'string', multiple: true, default: [] },
    flag: { type: 'string', multiple: true, default: [] },
    compiled: { type: 'string' },
  },
})

interface Memory {
  rss: number
  heapTotal: number
  heapUsed: number
  external: number
  arrayBuffers: number
  hwmKb: number
}
const PARTS = ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const
const mib = (n: number): string => (n / 1048576).toFixed(0)

const tmp = mkdtempSync(join(tmpdir(), 'scopeward-mem-'))
try {
  const db = join(tmp, 'bench.db')
  await seedDatabase(db, Number(opt.count))
  const env: Record<string, string> = { ...process.env, NODE_ENV: 'production' }
  for (const kv of opt.env) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1)
  const server = opt.compiled ? join(resolve(opt.compiled), 'bench', 'servers', opt.server.replace(/\.ts$/, '.js')) : join(BENCH, 'servers', opt.server)
  const args = [...(opt.compiled ? [] : ['--import', 'tsx']), ...opt.flag, server, '--db', db]
  if (opt.server.startsWith('scopeward')) args.push('--count', opt.count)
  const child = spawn(process.execPath, args, { cwd: dirname(BENCH), env, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  const info = await readAnnounce<{ port: number; request: { path: string; method: string; headers: Record<string, string>; body: string } }>(child.stdout!, opt.server)
  let seq = 0
  const waiting = new Map<number, (m: Memory) => void>()
  child.on('message', (m: Memory & { id: number }) => waiting.get(m.id)?.(m))
  // A server whose bench/lib/child.ts predates the `memory` message (an older checkout) never answers: /proc gives rss and VmHWM then.
  const fromProc = (): Memory => ({
    rss: procStatusKb(child.pid!, 'VmRSS') * 1024,
    heapTotal: NaN,
    heapUsed: NaN,
    external: NaN,
    arrayBuffers: NaN,
    hwmKb: procStatusKb(child.pid!, 'VmHWM'),
  })
  const memory = (): Promise<Memory> =>
    new Promise((resolve) => {
      const id = ++seq
      const timer = setTimeout(() => {
        waiting.delete(id)
        resolve(fromProc())
      }, 500)
      waiting.set(id, (m) => {
        clearTimeout(timer)
        waiting.delete(id)
        resolve(m)
      })
      child.send({ type: 'memory', id })
    })
  const idle = await memory()
  const peak: Memory = { ...idle }
  const timer = setInterval(() => {
    void memory().then((m) => {
      for (const k of PARTS) peak[k] = Math.max(peak[k], m[k]) // NaN stays NaN: not measured
    })
  }, 200)
  const r = await autocannon({ url: `http://127.0.0.1:${info.port}${info.request.path}`, ...info.request, connections: 50, duration: Number(opt.seconds) })
  clearInterval(timer)
  const end = await memory()
  console.log(
    `${opt.server}${opt.compiled ? ' (compiled)' : ''} ${opt.env.join(' ')} ${opt.flag.join(' ')}: ${(r['2xx'] / Number(opt.seconds)).toFixed(0)} req/s, non-2xx ${r.non2xx}`,
  )
  console.log(`| | ${PARTS.join(' | ')} | VmHWM |`)
  console.log(`| idle | ${PARTS.map((k) => mib(idle[k])).join(' | ')} | ${mib(idle.hwmKb * 1024)} |`)
  console.log(`| peak | ${PARTS.map((k) => mib(peak[k])).join(' | ')} | ${mib(end.hwmKb * 1024)} |`)
  child.send({ type: 'exit' })
  await new Promise((r) => child.once('exit', r))
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
