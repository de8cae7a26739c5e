/**
 * PostgreSQL counterpart of bench/seed.ts: a fresh database `scopeward_bench_<random>` on the
 * server of SCOPEWARD_BENCH_PG (else SCOPEWARD_TEST_PG, else postgres://postgres@127.0.0.1:5432/test,
 * used only as the admin connection for CREATE/DROP DATABASE), migrated and initialised by
 * Scopeward itself (createScopeward with --db postgres://…), then the bench app and `count` tokens
 * with the same ids, secret and created_at scheme as bench/seed.ts (seedId, SEED_SECRET,
 * SEED_CREATED_AT + i), inserted with unnest arrays (one INSERT per 1,000 rows) in one transaction.
 * In PostgreSQL scopes/allowed_scopes are jsonb and times are bigint (drizzle/postgres/0000_init.sql).
 *
 * CLI: node --import tsx bench/seed-pg.ts <postgres-url> <count>   (prints one JSON line)
 */
import pg from 'pg'
import { displayDb } from '../src/store/open-store.js'
import { hashSecret } from '../src/tokens/opaque-token.js'
import { createDatabase, pgUnavailable as pgUnavailableAt } from '../test/store/fresh-pg-database.js'
import { BENCH_APP_ID, BENCH_APP_SCOPES, SEED_CREATED_AT, SEED_SECRET, seedId } from './seed.js'

export const PG_ADMIN_URL = process.env.SCOPEWARD_BENCH_PG ?? process.env.SCOPEWARD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Null when PostgreSQL answers within 2 s; else why not (for a visible skip). */
export function pgUnavailable(adminUrl = PG_ADMIN_URL): Promise<string | null> {
  return pgUnavailableAt(adminUrl, 'SCOPEWARD_BENCH_PG')
}

/** Creates `scopeward_bench_<random>`; returns its name, URL and an idempotent drop. */
export function createBenchDatabase(adminUrl = PG_ADMIN_URL): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  return createDatabase('scopeward_bench', adminUrl)
}

/** Inserts the bench app and `count` tokens into a migrated Scopeward PostgreSQL database, in one transaction. */
export async function seedPgRows(url: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const now = Date.now()
    const hash = hashSecret(SEED_SECRET)
    const farFuture = now + 10 * 365 * 86_400_000
    await client.query('BEGIN')
    await client.query(
      `INSERT INTO apps (id, name, description, allowed_scopes, max_token_lifetime_ms, is_root, created_at, disabled_at)
       VALUES ($1, 'bench app', NULL, $2::jsonb, NULL, false, $3, NULL) ON CONFLICT (id) DO NOTHING`,
      [BENCH_APP_ID, JSON.stringify(BENCH_APP_SCOPES), now],
    )
    for (let start = 0; start < count; start += 1000) {
      const ids: string[] = [],
        names: string[] = [],
        created: string[] = []
      for (let i = start; i < Math.min(count, start + 1000); i++) {
        ids.push(seedId(i))
        names.push(`seed token ${i}`)
        created.push(String(SEED_CREATED_AT + i))
      }
      await client.query(
        `INSERT INTO tokens (id, app_id, subject, name, kind, scopes, secret_hash, created_at, expires_at, revoked_at, revoke_reason, last_used_at, created_by, parent_id)
         SELECT t.id, $4, NULL, t.name, 'OPAQUE', '["tokens:read"]'::jsonb, $5, t.created_at, $6, NULL, NULL, NULL, NULL, NULL
         FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(id, name, created_at)`,
        [ids, names, created, BENCH_APP_ID, hash, String(farFuture)],
      )
    }
    await client.query('COMMIT')
    await client.query('ANALYZE')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  } finally {
    await client.end()
  }
}

/** Migrates + initialises `url` with createScopeward, then seeds it. */
export async function seedPgDatabase(url: string, count: number): Promise<{ ms: number }> {
  const started = Date.now()
  const { createScopeward } = await import('../src/scopeward.js')
  const { loadConfig } = await import('../src/config.js')
  const { createLogger } = await import('../src/logger.js')
  const sw = await createScopeward(loadConfig({ db: url, port: '0' }), { logger: createLogger('silent') })
  await sw.close()
  await seedPgRows(url, count)
  return { ms: Date.now() - started }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, count] = process.argv.slice(2)
  if (!url || !count) {
    console.error('usage: node --import tsx bench/seed-pg.ts <postgres-url> <count>')
    process.exit(2)
  }
  const result = await seedPgDatabase(url, Number(count))
  console.log(JSON.stringify({ db: displayDb(url), count: Number(count), ...result }))
}
