import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { eq } from 'drizzle-orm'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import type { AppRecord, AuditEventInput, ScopeRecord, TokenRecord } from '../domain/model.js'
import type { StoreLifecycle } from '../domain/ports.js'
import { ComposedStore } from './composed-store.js'
import { Outbox } from './outbox.js'
import { refuseMalformedText } from './refuse-malformed-text.js'
import { sqliteApps } from './sqlite/apps.js'
import { sqliteAudit } from './sqlite/audit.js'
import { sqliteClientSecrets } from './sqlite/client-secrets.js'
import { migrationsFolder, SqliteConnection, type Tx } from './sqlite/connection.js'
import { sqliteMeta } from './sqlite/meta.js'
import { sqliteScopes } from './sqlite/scopes.js'
import { sqliteSigningKeys } from './sqlite/signing-keys.js'
import { sqliteTokens } from './sqlite/tokens.js'
import { sqliteWebhooks } from './sqlite/webhooks.js'
import { sqliteUsage } from './sqlite/usage.js'
import { SqliteWriteDialect } from './sqlite/write-dialect.js'
import * as t from './sqlite-schema.js'
import { WriteProtocol } from './write-protocol.js'

/**
 * The embedded store: one better-sqlite3 connection (sqlite/connection.ts). better-sqlite3 is
 * synchronous, so each method runs to completion (and each transaction commits) before its promise
 * resolves; no two transactions ever interleave. Writes go through the shared protocol
 * (write-protocol.ts) with group commit (sqlite/write-dialect.ts); the per-aggregate SQL is in sqlite/.
 */
export class SqliteStore extends ComposedStore {
  readonly #connection: SqliteConnection

  constructor(path: string, options: { auditKey?: Uint8Array | null } = {}) {
    const connection = new SqliteConnection(path)
    const outbox = new Outbox()
    const dialect = new SqliteWriteDialect(connection)
    const writes = new WriteProtocol<Tx>(dialect, outbox, options.auditKey ?? null)
    super({
      lifecycle: sqliteLifecycle(connection, dialect, writes, outbox),
      meta: sqliteMeta(connection, writes),
      scopes: sqliteScopes(connection, writes),
      apps: sqliteApps(connection, writes),
      tokens: sqliteTokens(connection, writes),
      audit: sqliteAudit(connection),
      signingKeys: sqliteSigningKeys(connection, writes),
      clientSecrets: sqliteClientSecrets(connection, writes),
      usage: sqliteUsage(connection, writes),
      webhooks: sqliteWebhooks(connection, writes),
    })
    this.#connection = connection
    return refuseMalformedText(this)
  }

  /** The raw connection, for tests and tools that inspect the file. */
  get sqlite(): Database.Database {
    return this.#connection.sqlite
  }
}

function sqliteLifecycle(c: SqliteConnection, dialect: SqliteWriteDialect, writes: WriteProtocol<Tx>, outbox: Outbox): StoreLifecycle {
  return {
    dialect: 'sqlite',
    outbox,
    // Only other processes' writes go unheard: SQLite has one writer per file here.
    subscribe: (listener) => outbox.listen(listener),

    async migrate(): Promise<void> {
      migrate(c.db, { migrationsFolder: migrationsFolder() })
    },

    async ready(): Promise<boolean> {
      try {
        const journal = JSON.parse(readFileSync(join(migrationsFolder(), 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
        const row = c.sqlite.prepare<[], { n: number }>('SELECT count(*) AS n FROM __drizzle_migrations').get()
        return row?.n === journal.entries.length
      } catch {
        return false
      }
    },

    async close(): Promise<void> {
      dialect.commit()
      if (c.sqlite.open) c.sqlite.close()
    },

    initialize(seed: { scopes: ScopeRecord[]; rootApp: AppRecord; rootToken: TokenRecord; audit: AuditEventInput }): Promise<boolean> {
      return writes.run({
        run: (tx) => {
          if (tx.select().from(t.meta).where(eq(t.meta.key, 'initialized_at')).get()) return { value: false, audit: null }
          tx.insert(t.scopes).values(seed.scopes).run()
          tx.insert(t.apps).values(seed.rootApp).run()
          tx.insert(t.tokens).values(seed.rootToken).run()
          tx.insert(t.meta)
            .values({ key: 'initialized_at', value: String(seed.audit.at) })
            .run()
          return { value: true, audit: { event: seed.audit, effect: { write: 'initialize' } } }
        },
      })
    },
  }
}
