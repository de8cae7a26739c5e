import { eq, sql } from 'drizzle-orm'
import type { MetaStore } from '../../domain/ports.js'
import * as t from '../pg-schema.js'
import type { PgConnection } from './connection.js'

/** Bookkeeping entries on PostgreSQL: not audited, not announced, and outside the write lock. */
export function pgMeta(c: PgConnection): MetaStore {
  return {
    async getMeta(key: string): Promise<string | null> {
      const [row] = await c.db.select().from(t.meta).where(eq(t.meta.key, key))
      return row?.value ?? null
    },

    async setMeta(key: string, value: string): Promise<void> {
      await c.db.insert(t.meta).values({ key, value }).onConflictDoUpdate({ target: t.meta.key, set: { value } })
    },

    async deleteMeta(key: string): Promise<void> {
      await c.db.delete(t.meta).where(eq(t.meta.key, key))
    },

    async listMeta(prefix: string): Promise<{ key: string; value: string }[]> {
      return c.db
        .select()
        .from(t.meta)
        .where(sql`substr(${t.meta.key}, 1, ${prefix.length}) = ${prefix}`)
    },
  }
}
