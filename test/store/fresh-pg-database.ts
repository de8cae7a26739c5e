// Fresh PostgreSQL databases for tests (and the benchmark): one per store or server, created from an
// admin connection (SCOPEWARD_TEST_PG, default postgres://postgres@127.0.0.1:5432/test) and dropped afterwards.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { displayDb } from '../../src/store/open-store.js'

export const PG_TEST_URL = process.env.SCOPEWARD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Null when a server answers within 2 s; else why not, for a visible skip (`setting` names what to set). */
export async function pgUnavailable(adminUrl = PG_TEST_URL, setting = 'SCOPEWARD_TEST_PG'): Promise<string | null> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (error) {
    return `no PostgreSQL at ${displayDb(adminUrl)} (${(error as Error).message}); set ${setting}`
  } finally {
    await client.end().catch(() => undefined)
  }
}

/**
 * Creates `<prefix>_<random>` and returns its name, URL and an idempotent drop (WITH (FORCE):
 * closes whatever is still connected).
 */
export async function createDatabase(prefix: string, adminUrl = PG_TEST_URL): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  await admin(adminUrl, `CREATE DATABASE ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  let dropped: Promise<void> | null = null
  return { name, url: url.toString(), drop: () => (dropped ??= admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) }
}

/** A fresh `scopeward_test_<random>` database. */
export function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  return createDatabase('scopeward_test')
}

async function admin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 })
  client.on('error', () => undefined)
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end().catch(() => undefined)
  }
}
