/**
 * The per-token fields of a list, in process (Fastify inject, no sockets): server CPU µs per list
 * request without and with `createdBy { id name } usedScopes lastUsedAt`, alternating rounds, and
 * their ratio (the SF ÷ S target of bench/run.ts, measured without autocannon on the same cores).
 *   node --import tsx bench/micro-fields.ts [--rounds 6] [--requests 2000]
 * Add `--cpu-prof` to node's flags to profile both.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createScopeward } from '../src/scopeward.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/logger.js'
import { issueToken } from '../src/domain/issue-token.js'
import { operatorCall } from '../src/domain/actor.js'
import { LIST_FIELDS_QUERY, LIST_QUERY } from './lib/child.js'
import { BENCH_APP_ID, seedDatabase } from './seed.js'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '6' }, requests: { type: 'string', default: '2000' } } })
const dir = mkdtempSync(join(tmpdir(), 'sw-micro-fields-'))
const file = join(dir, 'db.sqlite')
await seedDatabase(file, 10_000)
const app = await createScopeward(loadConfig({ db: file, port: '0' }, {}), { logger: createLogger('silent') })
const { secret } = await issueToken(app.domain, operatorCall(), { appId: BENCH_APP_ID, name: 'micro', scopes: ['tokens:read'] })
const headers = { 'content-type': 'application/json', authorization: `Bearer ${secret}` }

/** CPU µs per request of `query`, `n` requests, 10 in flight (as the loaders would see concurrent requests). */
async function cpuPerRequest(query: string, n: number): Promise<number> {
  const payload = JSON.stringify({ query })
  const before = process.cpuUsage()
  for (let i = 0; i < n; i += 10) {
    const answers = await Promise.all(Array.from({ length: 10 }, () => app.http.inject({ method: 'POST', url: '/graphql', headers, payload })))
    for (const a of answers) if (a.statusCode !== 200 || a.body.includes('"errors"')) throw new Error(`${a.statusCode} ${a.body.slice(0, 300)}`)
  }
  const used = process.cpuUsage(before)
  return (used.user + used.system) / n
}

const n = Number(values.requests)
await cpuPerRequest(LIST_QUERY, n)
await cpuPerRequest(LIST_FIELDS_QUERY, n)
const ratios: number[] = []
for (let round = 1; round <= Number(values.rounds); round++) {
  const s = await cpuPerRequest(LIST_QUERY, n)
  const sf = await cpuPerRequest(LIST_FIELDS_QUERY, n)
  ratios.push(sf / s)
  console.log(`round ${round}: list ${s.toFixed(0)} µs, list + fields ${sf.toFixed(0)} µs, ratio ${(sf / s).toFixed(2)}`)
}
ratios.sort((a, b) => a - b)
console.log(`median ratio (list + fields ÷ list) ${ratios[ratios.length >> 1]!.toFixed(2)}`)
await app.close()
rmSync(dir, { recursive: true, force: true })
