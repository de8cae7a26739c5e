import { and, asc, count, gt } from 'drizzle-orm'
import type { AuditEventRecord, AuditFilter, Page } from '../../domain/model.js'
import type { AuditStore } from '../../domain/ports.js'
import { auditConditions } from '../audit-conditions.js'
import { page } from '../page.js'
import * as t from '../pg-schema.js'
import type { PgConnection } from './connection.js'
import { auditEventRecord } from '../records.js'

/** The audit log on PostgreSQL (read side: events are appended by the write protocol). */
export function pgAudit(c: PgConnection): AuditStore {
  return {
    async listAuditEvents(options: AuditFilter & { after?: number | undefined; limit: number }): Promise<Page<AuditEventRecord>> {
      const where = and(auditConditions(t.auditEvents, options), options.after !== undefined ? gt(t.auditEvents.seq, options.after) : undefined)
      return page(
        (
          await c.db
            .select()
            .from(t.auditEvents)
            .where(where)
            .orderBy(asc(t.auditEvents.seq))
            .limit(options.limit + 1)
        ).map(auditEventRecord),
        options.limit,
      )
    },

    async countAuditEvents(options: AuditFilter): Promise<number> {
      const [row] = await c.db.select({ n: count() }).from(t.auditEvents).where(auditConditions(t.auditEvents, options))
      return row?.n ?? 0
    },
  }
}
