import type { Store } from '../domain/ports.js'

const POSTGRES_URL = /^postgres(ql)?:\/\//

/** The store a `--db` value names: a postgres:// (or postgresql://) URL for PostgreSQL, else a file path (or `:memory:`) for SQLite. */
export async function openStore(db: string, options: { auditKey?: Uint8Array | null } = {}): Promise<Store> {
  // Each driver is loaded only when used: a SQLite server never loads pg, and the other way round.
  if (POSTGRES_URL.test(db)) return new (await import('./pg-store.js')).PgStore(db, options)
  return new (await import('./sqlite-store.js')).SqliteStore(db, options)
}

/** The `--db` value safe to print: a PostgreSQL URL without its password. */
export function displayDb(db: string): string {
  if (!POSTGRES_URL.test(db)) return db
  try {
    const url = new URL(db)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return 'the PostgreSQL database'
  }
}
