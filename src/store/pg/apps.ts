import { and, asc, count, eq, inArray, ne, sql } from 'drizzle-orm'
import type { AppChanges, AppRecord, AuditEventInput, Page, Position, WriteGuard } from '../../domain/model.js'
import type { AppStore } from '../../domain/ports.js'
import { page } from '../page.js'
import * as t from '../pg-schema.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { PgConnection, Tx } from './connection.js'
import { appRecord } from '../records.js'

/** Apps on PostgreSQL. */
export function pgApps(c: PgConnection, writes: WriteProtocol<Tx>): AppStore {
  return {
    async getApp(id: string): Promise<AppRecord | null> {
      const [row] = await c.getApp.execute({ id })
      return row ? appRecord(row) : null
    },

    async getApps(ids: readonly string[]): Promise<AppRecord[]> {
      if (ids.length === 0) return []
      return c.db
        .select()
        .from(t.apps)
        .where(inArray(t.apps.id, [...ids]))
    },

    async listApps(options: { appId?: string | undefined; after?: Position | undefined; limit: number }): Promise<Page<AppRecord>> {
      const after = options.after ? sql`(${t.apps.createdAt}, ${t.apps.id}) > (${options.after.createdAt}, ${options.after.id})` : undefined
      const where = and(options.appId !== undefined ? eq(t.apps.id, options.appId) : undefined, after)
      return page(
        (
          await c.db
            .select()
            .from(t.apps)
            .where(where)
            .orderBy(asc(t.apps.createdAt), asc(t.apps.id))
            .limit(options.limit + 1)
        ).map(appRecord),
        options.limit,
      )
    },

    async countApps(options: { appId?: string | undefined }): Promise<number> {
      const where = options.appId !== undefined ? eq(t.apps.id, options.appId) : undefined
      const [row] = await c.db.select({ n: count() }).from(t.apps).where(where)
      return row?.n ?? 0
    },

    insertApp(app: AppRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: async (tx) => {
          // Under the write lock: no other write can take the name between this read and the insert.
          const [taken] = await tx.select({ id: t.apps.id }).from(t.apps).where(eq(t.apps.name, app.name))
          if (taken) return { value: false, audit: null }
          await tx.insert(t.apps).values(app)
          return { value: true, audit: { event: audit, effect: { write: 'insertApp' } } }
        },
      })
    },

    updateApp(id: string, changes: AppChanges, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: async (tx) => {
          if (changes.name !== undefined) {
            const [taken] = await tx
              .select({ id: t.apps.id })
              .from(t.apps)
              .where(and(eq(t.apps.name, changes.name), ne(t.apps.id, id)))
            if (taken) return { value: false, audit: null }
          }
          if (Object.keys(changes).length > 0) await tx.update(t.apps).set(changes).where(eq(t.apps.id, id))
          return { value: true, audit: { event: audit, effect: { write: 'updateApp', appId: id, disabledAt: changes.disabledAt } } }
        },
      })
    },
  }
}
