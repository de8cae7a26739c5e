// Fresh PostgreSQL databases for tests: one per store or server, created from SCOPEWARD_TEST_PG
// (default postgres://postgres@127.0.0.1:5432/test) and dropped afterwards.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const PG_TEST_URL = process.env.SCOPEWARD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Null when a server answers within 2 s; else why not, for a visible skip. */
export async function pgUnavailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 2_000 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (error) {
    return `no PostgreSQL at ${redacted(PG_TEST_URL)} (${(error as Error).message}); set SCOPEWARD_TEST_PG`
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Creates `scopeward_test_<random>` and returns its URL and a function that drops it (closing whatever is still connected). */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `scopeward_test_${randomBytes(6).toString('hex')}`
  await admin(`CREATE DATABASE ${name}`)
  const url = new URL(PG_TEST_URL)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_TEST_URL })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

function redacted(url: string): string {
  const parsed = new URL(url)
  if (parsed.password) parsed.password = '***'
  return parsed.toString()
}
