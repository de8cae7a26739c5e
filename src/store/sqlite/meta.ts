import { eq, sql } from 'drizzle-orm'
import type { MetaStore } from '../../domain/ports.js'
import * as t from '../sqlite-schema.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { SqliteConnection, Tx } from './connection.js'

/** Bookkeeping entries on SQLite: not audited, not announced. */
export function sqliteMeta(c: SqliteConnection, writes: WriteProtocol<Tx>): MetaStore {
  return {
    async getMeta(key: string): Promise<string | null> {
      return c.db.select().from(t.meta).where(eq(t.meta.key, key)).get()?.value ?? null
    },

    async setMeta(key: string, value: string): Promise<void> {
      await writes.bookkeeping((tx) => tx.insert(t.meta).values({ key, value }).onConflictDoUpdate({ target: t.meta.key, set: { value } }).run())
    },

    async deleteMeta(key: string): Promise<void> {
      await writes.bookkeeping((tx) => tx.delete(t.meta).where(eq(t.meta.key, key)).run())
    },

    async listMeta(prefix: string): Promise<{ key: string; value: string }[]> {
      return c.db
        .select()
        .from(t.meta)
        .where(sql`substr(${t.meta.key}, 1, ${prefix.length}) = ${prefix}`)
        .all()
    },
  }
}
