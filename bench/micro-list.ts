// Micro-benchmark of the store's list query in-process (no HTTP): µs per call.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteStore } from '../src/store/sqlite-store.js'
import { BENCH_APP_ID, seedDatabase } from './seed.js'

const file = join(mkdtempSync(join(tmpdir(), 'sw-micro-')), 'db.sqlite')
await seedDatabase(file, 10_000)
const store = new SqliteStore(file)
const filter = { appId: BENCH_APP_ID, now: Date.now() }
for (let i = 0; i < 2000; i++) await store.listTokens(filter, { limit: 20 })
const n = 20_000
let t = process.hrtime.bigint()
const cpu = process.cpuUsage()
for (let i = 0; i < n; i++) await store.listTokens(filter, { limit: 20 })
const used = process.cpuUsage(cpu)
// CPU time as well as wall time: on a shared machine, waiting for a core inflates only the wall time.
console.log('listTokens µs/call', Number(process.hrtime.bigint() - t) / 1000 / n, 'CPU µs/call', (used.user + used.system) / n)
t = process.hrtime.bigint()
for (let i = 0; i < n; i++) await store.getApp(BENCH_APP_ID)
console.log('getApp µs/call', Number(process.hrtime.bigint() - t) / 1000 / n)
const plan = store.sqlite.prepare('EXPLAIN QUERY PLAN SELECT * FROM tokens WHERE app_id = ? ORDER BY created_at, id LIMIT ?').all(BENCH_APP_ID, 21)
console.log(plan)
await store.close()
