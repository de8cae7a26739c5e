import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import type { AppRecord, AuditEventInput, ScopeRecord, TokenRecord } from '../domain/model.js'
import type { StoreLifecycle } from '../domain/ports.js'
import { ComposedStore } from './composed-store.js'
import { Outbox } from './outbox.js'
import { pgApps } from './pg/apps.js'
import { pgAudit } from './pg/audit.js'
import { pgClientSecrets } from './pg/client-secrets.js'
import { migrationsFolder, PgConnection, WRITE_LOCK, type Tx } from './pg/connection.js'
import { pgMeta } from './pg/meta.js'
import { pgScopes } from './pg/scopes.js'
import { pgSigningKeys } from './pg/signing-keys.js'
import { pgTokens } from './pg/tokens.js'
import { pgWebhooks } from './pg/webhooks.js'
import { pgUsage } from './pg/usage.js'
import { PgWriteDialect } from './pg/write-dialect.js'
import { PgChangeListener } from './pg-change-listener.js'
import * as t from './pg-schema.js'
import { refuseMalformedText } from './refuse-malformed-text.js'
import { WriteProtocol } from './write-protocol.js'

/**
 * The PostgreSQL store, for several instances behind a load balancer: drizzle node-postgres over a
 * pg.Pool (pg/connection.ts). Every change commits with its audit event and a NOTIFY of the notices
 * derived from it (write-protocol.ts, outbox.ts), which a dedicated LISTEN connection of every other
 * instance turns into `subscribe` callbacks. The per-aggregate SQL is in pg/.
 */
export class PgStore extends ComposedStore {
  readonly #listener: { current: PgChangeListener | null }

  constructor(url: string, options: { poolSize?: number; auditKey?: Uint8Array | null } = {}) {
    const connection = new PgConnection(url, options.poolSize ?? 10)
    const outbox = new Outbox()
    // This instance's id in NOTIFY payloads: the listener skips its own, delivered at commit already.
    const origin = randomUUID()
    const writes = new WriteProtocol<Tx>(new PgWriteDialect(connection, origin), outbox, options.auditKey ?? null)
    const listener: { current: PgChangeListener | null } = { current: null }
    super({
      lifecycle: pgLifecycle(connection, writes, outbox, { origin, listener }),
      meta: pgMeta(connection),
      scopes: pgScopes(connection, writes),
      apps: pgApps(connection, writes),
      tokens: pgTokens(connection, writes),
      audit: pgAudit(connection),
      signingKeys: pgSigningKeys(connection, writes),
      clientSecrets: pgClientSecrets(connection, writes),
      usage: pgUsage(connection, writes),
      webhooks: pgWebhooks(connection, writes),
    })
    this.#listener = listener
    return refuseMalformedText(this)
  }

  /** Resolves once the LISTEN connection is up (tests wait on it; serving does not need to). */
  async listening(): Promise<void> {
    await this.#listener.current?.start()
  }
}

function pgLifecycle(
  c: PgConnection,
  writes: WriteProtocol<Tx>,
  outbox: Outbox,
  { origin, listener }: { origin: string; listener: { current: PgChangeListener | null } },
): StoreLifecycle {
  return {
    dialect: 'postgres',
    outbox,

    subscribe(onChange) {
      outbox.listen(onChange)
      if (!listener.current) {
        listener.current = new PgChangeListener({ connectionString: c.url, origin, onChange: (change) => outbox.heard(change) })
        void listener.current.start()
      }
    },

    async migrate(): Promise<void> {
      // A session lock on one connection: instances started together migrate one after the other.
      const client = new pg.Client({ connectionString: c.url, application_name: 'scopeward-migrate' })
      await client.connect()
      try {
        await client.query('SELECT pg_advisory_lock($1)', [WRITE_LOCK + 1])
        await migrate(drizzle(client), { migrationsFolder: migrationsFolder() })
      } finally {
        await client.end()
      }
    },

    async ready(): Promise<boolean> {
      try {
        const journal = JSON.parse(readFileSync(join(migrationsFolder(), 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
        const { rows } = await c.pool.query<{ n: string }>('SELECT count(*) AS n FROM drizzle.__drizzle_migrations')
        return Number(rows[0]?.n) === journal.entries.length
      } catch {
        return false
      }
    },

    async close(): Promise<void> {
      await listener.current?.stop()
      if (!c.pool.ended) await c.pool.end()
    },

    initialize(seed: { scopes: ScopeRecord[]; rootApp: AppRecord; rootToken: TokenRecord; audit: AuditEventInput }): Promise<boolean> {
      return writes.run({
        run: async (tx) => {
          const [done] = await tx.select().from(t.meta).where(eq(t.meta.key, 'initialized_at'))
          if (done) return { value: false, audit: null }
          await tx.insert(t.scopes).values(seed.scopes)
          await tx.insert(t.apps).values(seed.rootApp)
          await tx.insert(t.tokens).values(seed.rootToken)
          await tx.insert(t.meta).values({ key: 'initialized_at', value: String(seed.audit.at) })
          return { value: true, audit: { event: seed.audit, effect: { write: 'initialize' } } }
        },
      })
    },
  }
}
