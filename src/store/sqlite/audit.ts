import { and, asc, count, gt } from 'drizzle-orm'
import type { AuditEventRecord, AuditFilter, Page } from '../../domain/model.js'
import type { AuditStore } from '../../domain/ports.js'
import { auditConditions } from '../audit-conditions.js'
import { page } from '../page.js'
import * as t from '../sqlite-schema.js'
import type { SqliteConnection } from './connection.js'
import { auditEventRecord } from '../records.js'

/** The audit log on SQLite (read side: events are appended by the write protocol). */
export function sqliteAudit(c: SqliteConnection): AuditStore {
  return {
    async listAuditEvents(options: AuditFilter & { after?: number | undefined; limit: number }): Promise<Page<AuditEventRecord>> {
      const where = and(auditConditions(t.auditEvents, options), options.after !== undefined ? gt(t.auditEvents.seq, options.after) : undefined)
      return page(
        c.db
          .select()
          .from(t.auditEvents)
          .where(where)
          .orderBy(asc(t.auditEvents.seq))
          .limit(options.limit + 1)
          .all()
          .map(auditEventRecord),
        options.limit,
      )
    },

    async countAuditEvents(options: AuditFilter): Promise<number> {
      return c.db.select({ n: count() }).from(t.auditEvents).where(auditConditions(t.auditEvents, options)).get()?.n ?? 0
    },
  }
}
