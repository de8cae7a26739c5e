// The PostgreSQL store's connection: a pg.Pool, its Drizzle wrapper, the named statements of the hot
// reads, and the advisory lock every writing transaction takes.

import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { packageRoot } from '../../package-root.js'
import * as t from '../pg-schema.js'

export type Db = NodePgDatabase<typeof t>
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/**
 * The advisory lock every writing transaction takes first. It serialises writers across all
 * instances, as SQLite's single writer does: the audit chain stays linear (each event reads the
 * previous hash under the lock), and checks made inside a transaction (an active parent, an
 * unrevoked secret) cannot race a concurrent revocation. Readers never wait for it.
 */
export const WRITE_LOCK = 0x73636f7065 // 'scope'

export class PgConnection {
  readonly url: string
  readonly pool: pg.Pool
  readonly db: Db
  readonly getToken
  readonly getApp
  readonly #names = new Map<string, string>()

  constructor(url: string, poolSize: number) {
    this.url = url
    // JIT off: its compilation (0.2 to 0.7 s) dwarfs any query Scopeward runs, and PostgreSQL charges a
    // correlated subquery on every row it scans (the status filters', token-conditions.ts), so a count
    // over a large table crosses jit_above_cost. A `options` parameter in the URL overrides this.
    this.pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'scopeward', options: '-c jit=off' })
    // An idle connection that breaks is dropped by the pool; without a handler it would crash the process.
    this.pool.on('error', () => undefined)
    this.db = drizzle(this.pool, { schema: t })
    this.getToken = this.db
      .select()
      .from(t.tokens)
      .where(eq(t.tokens.id, sql.placeholder('id')))
      .prepare('scopeward_get_token')
    this.getApp = this.db
      .select()
      .from(t.apps)
      .where(eq(t.apps.id, sql.placeholder('id')))
      .prepare('scopeward_get_app')
  }

  /** A statement name for raw SQL text: a named statement is parsed and planned once per connection. */
  statementName(prefix: string, text: string): string {
    let name = this.#names.get(text)
    if (!name) {
      name = `${prefix}_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`
      this.#names.set(text, name)
    }
    return name
  }
}

export function migrationsFolder(): string {
  return join(packageRoot(), 'drizzle', 'postgres')
}
