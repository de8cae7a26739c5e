import { and, eq, gte, lt, type Column, type SQL } from 'drizzle-orm'
import type { AuditFilter } from '../domain/model.js'

/** The audit log filter over either dialect's `audit_events` columns (filters AND together; `to` is exclusive). */
export function auditConditions(c: { appId: Column; actor: Column; action: Column; target: Column; at: Column }, f: AuditFilter): SQL | undefined {
  return and(
    f.appId !== undefined ? eq(c.appId, f.appId) : undefined,
    f.actor !== undefined ? eq(c.actor, f.actor) : undefined,
    f.action !== undefined ? eq(c.action, f.action) : undefined,
    f.target !== undefined ? eq(c.target, f.target) : undefined,
    f.from !== undefined ? gte(c.at, f.from) : undefined,
    f.to !== undefined ? lt(c.at, f.to) : undefined,
  )
}
