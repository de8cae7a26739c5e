import { and, asc, count, eq, gt, inArray, ne, or } from 'drizzle-orm'
import type { AppChanges, AppRecord, AuditEventInput, Page, Position, WriteGuard } from '../../domain/model.js'
import type { AppStore } from '../../domain/ports.js'
import { page } from '../page.js'
import * as t from '../sqlite-schema.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { SqliteConnection, Tx } from './connection.js'
import { appFromRow } from './rows.js'
import { appRecord } from '../records.js'

/** Apps on SQLite. */
export function sqliteApps(c: SqliteConnection, writes: WriteProtocol<Tx>): AppStore {
  return {
    async getApp(id: string): Promise<AppRecord | null> {
      const row = c.appById().get(id)
      return row ? appFromRow(row) : null
    },

    async getApps(ids: readonly string[]): Promise<AppRecord[]> {
      if (ids.length === 0) return []
      return c.db
        .select()
        .from(t.apps)
        .where(inArray(t.apps.id, [...ids]))
        .all()
    },

    async listApps(options: { appId?: string | undefined; after?: Position | undefined; limit: number }): Promise<Page<AppRecord>> {
      const after = options.after && or(gt(t.apps.createdAt, options.after.createdAt), and(eq(t.apps.createdAt, options.after.createdAt), gt(t.apps.id, options.after.id)))
      const where = and(options.appId !== undefined ? eq(t.apps.id, options.appId) : undefined, after)
      return page(
        c.db
          .select()
          .from(t.apps)
          .where(where)
          .orderBy(asc(t.apps.createdAt), asc(t.apps.id))
          .limit(options.limit + 1)
          .all()
          .map(appRecord),
        options.limit,
      )
    },

    async countApps(options: { appId?: string | undefined }): Promise<number> {
      const where = options.appId !== undefined ? eq(t.apps.id, options.appId) : undefined
      return c.db.select({ n: count() }).from(t.apps).where(where).get()?.n ?? 0
    },

    insertApp(app: AppRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: (tx) => {
          // Under the write lock (BEGIN IMMEDIATE): no other write can take the name between this read and the insert.
          if (tx.select({ id: t.apps.id }).from(t.apps).where(eq(t.apps.name, app.name)).get()) return { value: false, audit: null }
          tx.insert(t.apps).values(app).run()
          return { value: true, audit: { event: audit, effect: { write: 'insertApp' } } }
        },
      })
    },

    updateApp(id: string, changes: AppChanges, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: (tx) => {
          if (
            changes.name !== undefined &&
            tx
              .select({ id: t.apps.id })
              .from(t.apps)
              .where(and(eq(t.apps.name, changes.name), ne(t.apps.id, id)))
              .get()
          )
            return { value: false, audit: null }
          if (Object.keys(changes).length > 0) tx.update(t.apps).set(changes).where(eq(t.apps.id, id)).run()
          return { value: true, audit: { event: audit, effect: { write: 'updateApp', appId: id, disabledAt: changes.disabledAt } } }
        },
      })
    },
  }
}
