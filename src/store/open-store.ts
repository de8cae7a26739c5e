import { ScopewardError } from '../errors.js'
import { SqliteStore } from './sqlite-store.js'
import type { Store } from './store.js'

/** The store a `--db` value names: a file path (or `:memory:`) for SQLite. */
export async function openStore(db: string): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(db)) {
    throw new ScopewardError('BAD_USER_INPUT', 'invalid setting --db / SCOPEWARD_DB: the PostgreSQL store is not available in this version', { field: 'db' })
  }
  return new SqliteStore(db)
}
