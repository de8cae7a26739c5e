// The SQLite store's connection: one better-sqlite3 handle in WAL mode with foreign keys on, its
// Drizzle wrapper, and the raw prepared statements of the hot reads (cached by SQL text).

import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import { packageRoot } from '../../package-root.js'
import * as t from '../sqlite-schema.js'
import { APP_COLUMNS, TOKEN_COLUMNS, type AppTuple, type TokenTuple } from './rows.js'

export type Db = BetterSQLite3Database<typeof t>
/** The connection or a transaction (a savepoint) on it: what a write's SQL runs on. */
export type Tx = BaseSQLiteDatabase<'sync', Database.RunResult, typeof t>
export type Params = (string | number)[]

export class SqliteConnection {
  readonly sqlite: Database.Database
  readonly db: Db
  readonly #tokenLists = new Map<string, Database.Statement<Params, TokenTuple>>()
  readonly #counts = new Map<string, Database.Statement<Params, { n: number }>>()
  readonly #reads = new Map<string, Database.Statement<Params, unknown>>()
  #tokenById: Database.Statement<[string], TokenTuple> | undefined
  #appById: Database.Statement<[string], AppTuple> | undefined

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    this.sqlite = new Database(path)
    this.sqlite.pragma('journal_mode = WAL')
    // FULL: a revocation acknowledged to a client survives power loss, not only a process crash (WAL + NORMAL may lose the last commits).
    this.sqlite.pragma('synchronous = FULL')
    this.sqlite.pragma('foreign_keys = ON')
    this.sqlite.pragma('busy_timeout = 5000')
    // Freed space is zeroed: a private key sealed or wiped in place leaves no plaintext in free pages (see scrub).
    this.sqlite.pragma('secure_delete = ON')
    this.db = drizzle(this.sqlite, { schema: t })
  }

  // Statements are prepared on first use, after migrations have created the tables they read.

  tokenById(): Database.Statement<[string], TokenTuple> {
    this.#tokenById ??= this.sqlite.prepare<[string], TokenTuple>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`).raw(true)
    return this.#tokenById
  }

  appById(): Database.Statement<[string], AppTuple> {
    this.#appById ??= this.sqlite.prepare<[string], AppTuple>(`SELECT ${APP_COLUMNS} FROM apps WHERE id = ?`).raw(true)
    return this.#appById
  }

  /** A token list query (`SELECT TOKEN_COLUMNS FROM tokens ...`), one statement per filter shape. */
  tokenList(text: string): Database.Statement<Params, TokenTuple> {
    let statement = this.#tokenLists.get(text)
    if (!statement) {
      statement = this.sqlite.prepare<Params, TokenTuple>(text).raw(true)
      this.#tokenLists.set(text, statement)
    }
    return statement
  }

  /** A count query (`SELECT count(*) AS n ...`), one statement per filter shape. */
  count(text: string): Database.Statement<Params, { n: number }> {
    let statement = this.#counts.get(text)
    if (!statement) {
      statement = this.sqlite.prepare<Params, { n: number }>(text)
      this.#counts.set(text, statement)
    }
    return statement
  }

  /** A read returning rows keyed by property (`selectList`), one statement per SQL text. */
  read<Row>(text: string): Database.Statement<Params, Row> {
    let statement = this.#reads.get(text)
    if (!statement) {
      statement = this.sqlite.prepare<Params, unknown>(text)
      this.#reads.set(text, statement)
    }
    return statement as Database.Statement<Params, Row>
  }

  /** Checkpoints and truncates the WAL, whose older frames still hold the page versions before a key was sealed or wiped. */
  scrub(): void {
    this.sqlite.pragma('wal_checkpoint(TRUNCATE)')
  }
}

export function migrationsFolder(): string {
  return join(packageRoot(), 'drizzle', 'sqlite')
}
