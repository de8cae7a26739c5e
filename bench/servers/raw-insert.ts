/**
 * Variant RAW (floor for issueToken): raw better-sqlite3 single-row INSERT transactions into
 * Scopeward's tokens table, with Scopeward's durability settings (WAL, synchronous=FULL), in
 * process, no HTTP. Task 'run' {ms}: inserts for ms milliseconds; returns inserts/s.
 * Usage: node --import tsx bench/servers/raw-insert.ts --db <file>
 */
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import { generateOpaqueToken, hashSecret } from '../../src/tokens/opaque-token.js'
import { announce } from '../lib/child.js'
import { BENCH_APP_ID } from '../seed.js'

const { values } = parseArgs({ options: { db: { type: 'string' } } })
const sqlite = new Database(values.db)
sqlite.pragma('journal_mode = WAL')
sqlite.pragma('synchronous = FULL')
sqlite.pragma('foreign_keys = ON')
sqlite.pragma('busy_timeout = 5000')
const insert = sqlite.prepare(
  `INSERT INTO tokens (id, app_id, subject, name, kind, scopes, secret_hash, created_at, expires_at, revoked_at, revoke_reason, last_used_at, created_by, parent_id)
   VALUES (?, ?, NULL, 'raw', 'OPAQUE', '["tokens:read"]', ?, ?, ?, NULL, NULL, NULL, NULL, NULL)`,
)
const insertOne = sqlite.transaction((id: string, hash: string, now: number) => insert.run(id, BENCH_APP_ID, hash, now, now + 90 * 86_400_000))

announce(
  { port: null, inProcess: true, journal: sqlite.pragma('journal_mode', { simple: true }), synchronous: sqlite.pragma('synchronous', { simple: true }) },
  {
    run: (msg) => {
      const ms = Number(msg.ms ?? 3000)
      const cpu0 = process.cpuUsage()
      const started = performance.now()
      let n = 0
      while (performance.now() - started < ms) {
        const t = generateOpaqueToken()
        insertOne(t.id, hashSecret(t.secret), Date.now())
        n++
      }
      const secs = (performance.now() - started) / 1000
      const cpu = process.cpuUsage(cpu0)
      return { ops: n, perSec: n / secs, cpuUsPerOp: (cpu.user + cpu.system) / n }
    },
  },
  () => {
    sqlite.close()
  },
)
