/**
 * Seeds a Scopeward database for the benchmark: lets Scopeward create and migrate it (and
 * initialise the root app), then inserts one bench app and `count` tokens with raw SQL in one
 * transaction into Scopeward's own `tokens` table (drizzle/sqlite/0000_init.sql).
 *
 * Every seeded token shares one secret (SEED_SECRET), so any seeded row can be presented as a
 * valid opaque token: swt_ + id + SEED_SECRET + checksum. Ids are deterministic: seedId(i).
 *
 * CLI: node --import tsx bench/seed.ts <db-file> <count>   (prints one JSON line)
 */
import { existsSync, rmSync } from 'node:fs'
import Database from 'better-sqlite3'
import { encodeBase62 } from '../src/tokens/base62.js'
import { checksum, hashSecret, OPAQUE_PREFIX } from '../src/tokens/opaque-token.js'
import { encodeCursor } from '../src/domain/pagination.js'

export const BENCH_APP_ID = 'benchapp'
export const SEED_SECRET = 'S'.repeat(16) + encodeBase62(123456789, 16) // 32 base62 chars
export const SEED_CREATED_AT = 1_700_000_000_000
/** Scopes the bench app may grant (tokens:write for issueToken, tokens:introspect for /oauth/introspect). */
export const BENCH_APP_SCOPES = ['tokens:introspect', 'tokens:read', 'tokens:write']

/** 16 base62 characters, unique per i, sorting in i order (same width, base62 digit order = ASCII order). */
export function seedId(i: number): string {
  return 'T' + encodeBase62(i, 15)
}

export function seedPlaintext(i: number): string {
  const body = OPAQUE_PREFIX + seedId(i) + SEED_SECRET
  return body + checksum(body)
}

/** Cursor after the i-th seeded row (0-based), in the format of src/domain/pagination.ts. */
export function seedCursorAfter(i: number): string {
  return encodeCursor({ createdAt: SEED_CREATED_AT + i, id: seedId(i) })
}

/** Inserts the bench app (if missing) and `count` tokens into an already migrated Scopeward database. */
export function seedRows(sqlite: Database.Database, count: number): void {
  const now = Date.now()
  sqlite
    .prepare(`INSERT OR IGNORE INTO apps (id, name, description, allowed_scopes, max_token_lifetime_ms, is_root, created_at, disabled_at) VALUES (?, ?, NULL, ?, NULL, 0, ?, NULL)`)
    .run(BENCH_APP_ID, 'bench app', JSON.stringify(BENCH_APP_SCOPES), now)
  const hash = hashSecret(SEED_SECRET)
  // Every token was created by another seeded token of the app (row i by row (i + 1000) mod count) and was last used
  // a minute after its creation; the first 1,000 have a usage row (tokens:read): the per-token fields of a list (SF) read real rows.
  const insert = sqlite.prepare(
    `INSERT INTO tokens (id, app_id, subject, name, kind, scopes, secret_hash, created_at, expires_at, revoked_at, revoke_reason, last_used_at, created_by, parent_id)
     VALUES (?, '${BENCH_APP_ID}', NULL, ?, 'OPAQUE', '["tokens:read"]', '${hash}', ?, ?, NULL, NULL, ?, ?, NULL)`,
  )
  const usage = sqlite.prepare(`INSERT INTO token_scope_usage (token_id, scope, count, last_used_at) VALUES (?, 'tokens:read', ?, ?)`)
  const farFuture = now + 10 * 365 * 86_400_000
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(seedId(i), `seed token ${i}`, SEED_CREATED_AT + i, farFuture, SEED_CREATED_AT + i + 60_000, seedId((i + 1000) % count))
    for (let i = 0; i < Math.min(count, 1000); i++) usage.run(seedId(i), 1 + (i % 7), SEED_CREATED_AT + i + 60_000)
  })()
}

/** Creates `file` with Scopeward's migrations + root init (via createScopeward) and `count` seeded tokens. */
export async function seedDatabase(file: string, count: number): Promise<{ ms: number }> {
  const started = Date.now()
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) rmSync(f)
  const { createScopeward } = await import('../src/scopeward.js')
  const { loadConfig } = await import('../src/config.js')
  const { createLogger } = await import('../src/logger.js')
  const sw = await createScopeward(loadConfig({ db: file, port: '0' }), { logger: createLogger('silent') })
  await sw.close()
  const sqlite = new Database(file)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = OFF') // seeding only; servers reopen with Scopeward's own settings
  sqlite.pragma('cache_size = -200000')
  seedRows(sqlite, count)
  sqlite.pragma('wal_checkpoint(TRUNCATE)')
  sqlite.exec('ANALYZE')
  sqlite.close()
  return { ms: Date.now() - started }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, count] = process.argv.slice(2)
  if (!file || !count) {
    console.error('usage: node --import tsx bench/seed.ts <db-file> <count>')
    process.exit(2)
  }
  const result = await seedDatabase(file, Number(count))
  console.log(JSON.stringify({ file, count: Number(count), ...result }))
}
