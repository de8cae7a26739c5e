import { and, asc, eq, gte, inArray, sql } from 'drizzle-orm'
import type { DailyUsage, ScopeUsage, UsedScope } from '../../domain/model.js'
import type { UsageStore } from '../../domain/ports.js'
import * as t from '../pg-schema.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { PgConnection, Tx } from './connection.js'
import { dailyUsageRecord, usageRecord } from '../records.js'

/** Usage counts on PostgreSQL: bookkeeping, written without an audit event. */
export function pgUsage(c: PgConnection, writes: WriteProtocol<Tx>): UsageStore {
  return {
    async recordUsage(usage: ScopeUsage[], needs: ScopeUsage[] = [], daily: DailyUsage[] = []): Promise<void> {
      if (usage.length === 0 && needs.length === 0 && daily.length === 0) return
      const days = mergeByDay(daily.filter((d) => d.scope !== ''))
      // One statement per table over arrays; several instances' counts add up (count + excluded.count).
      const perToken = new Map<string, number>()
      for (const u of usage) perToken.set(u.tokenId, Math.max(perToken.get(u.tokenId) ?? 0, u.lastUsedAt))
      const scoped = mergeByScope(usage.filter((u) => u.scope !== ''))
      const needed = mergeByScope(needs)
      await writes.bookkeeping(async (tx) => {
        if (needed.length > 0) {
          await tx.execute(sql`
            INSERT INTO token_scope_needs (token_id, scope, count, last_used_at)
            SELECT * FROM unnest(${sql.param(needed.map((u) => u.tokenId))}::text[], ${sql.param(needed.map((u) => u.scope))}::text[], ${sql.param(needed.map((u) => u.count))}::bigint[], ${sql.param(needed.map((u) => u.lastUsedAt))}::bigint[])
            ON CONFLICT (token_id, scope) DO UPDATE SET count = token_scope_needs.count + excluded.count, last_used_at = greatest(token_scope_needs.last_used_at, excluded.last_used_at)`)
        }
        if (days.length > 0) {
          await tx.execute(sql`
            INSERT INTO token_usage_daily (token_id, day, scope, count)
            SELECT * FROM unnest(${sql.param(days.map((d) => d.tokenId))}::text[], ${sql.param(days.map((d) => d.day))}::text[], ${sql.param(days.map((d) => d.scope))}::text[], ${sql.param(days.map((d) => d.count))}::bigint[])
            ON CONFLICT (token_id, day, scope) DO UPDATE SET count = token_usage_daily.count + excluded.count`)
        }
        if (scoped.length > 0) {
          await tx.execute(sql`
            INSERT INTO token_scope_usage (token_id, scope, count, last_used_at)
            SELECT * FROM unnest(${sql.param(scoped.map((u) => u.tokenId))}::text[], ${sql.param(scoped.map((u) => u.scope))}::text[], ${sql.param(scoped.map((u) => u.count))}::bigint[], ${sql.param(scoped.map((u) => u.lastUsedAt))}::bigint[])
            ON CONFLICT (token_id, scope) DO UPDATE SET count = token_scope_usage.count + excluded.count, last_used_at = greatest(token_scope_usage.last_used_at, excluded.last_used_at)`)
        }
        if (perToken.size > 0)
          await tx.execute(sql`
          UPDATE tokens SET last_used_at = greatest(coalesce(tokens.last_used_at, 0), u.at)
          FROM unnest(${sql.param([...perToken.keys()])}::text[], ${sql.param([...perToken.values()])}::bigint[]) AS u(id, at)
          WHERE tokens.id = u.id`)
      })
    },

    async listNeeds(tokenIds: readonly string[]): Promise<ScopeUsage[]> {
      if (tokenIds.length === 0) return []
      return (
        await c.db
          .select()
          .from(t.tokenScopeNeeds)
          .where(inArray(t.tokenScopeNeeds.tokenId, [...tokenIds]))
      ).map(usageRecord)
    },

    async listDailyUsage(tokenId: string, fromDay: string): Promise<DailyUsage[]> {
      return (
        await c.db
          .select()
          .from(t.tokenUsageDaily)
          .where(and(eq(t.tokenUsageDaily.tokenId, tokenId), gte(t.tokenUsageDaily.day, fromDay)))
          .orderBy(asc(t.tokenUsageDaily.day), asc(t.tokenUsageDaily.scope))
      ).map(dailyUsageRecord)
    },

    async deleteDailyUsageBefore(day: string, limit: number): Promise<number> {
      // Outside the write lock; instances running it at once take different rows (SKIP LOCKED).
      const result = await c.db.execute(sql`
        DELETE FROM token_usage_daily WHERE (token_id, day, scope) IN (
          SELECT token_id, day, scope FROM token_usage_daily WHERE day < ${day} LIMIT ${limit} FOR UPDATE SKIP LOCKED)`)
      return result.rowCount ?? 0
    },

    async getUsage(tokenId: string): Promise<ScopeUsage[]> {
      return (await c.db.select().from(t.tokenScopeUsage).where(eq(t.tokenScopeUsage.tokenId, tokenId)).orderBy(asc(t.tokenScopeUsage.scope))).map(usageRecord)
    },

    async listUsage(tokenIds: readonly string[]): Promise<ScopeUsage[]> {
      if (tokenIds.length === 0) return []
      return (
        await c.db
          .select()
          .from(t.tokenScopeUsage)
          .where(inArray(t.tokenScopeUsage.tokenId, [...tokenIds]))
          .orderBy(...BY_TOKEN_AND_SCOPE)
      ).map(usageRecord)
    },

    async listUsedScopes(tokenIds: readonly string[]): Promise<UsedScope[]> {
      if (tokenIds.length === 0) return []
      return c.db
        .select({ tokenId: t.tokenScopeUsage.tokenId, scope: t.tokenScopeUsage.scope })
        .from(t.tokenScopeUsage)
        .where(inArray(t.tokenScopeUsage.tokenId, [...tokenIds]))
        .orderBy(...BY_TOKEN_AND_SCOPE)
    },
  }
}

/** Usage rows by token, then scope in byte order (COLLATE "C"), as SQLite orders them: the database's collation may order punctuation otherwise. */
const BY_TOKEN_AND_SCOPE = [asc(t.tokenScopeUsage.tokenId), sql`${t.tokenScopeUsage.scope} COLLATE "C"`] as const

/** One entry per (token, scope): a single INSERT … ON CONFLICT must not touch a row twice. */
function mergeByScope(entries: readonly ScopeUsage[]): ScopeUsage[] {
  const merged = new Map<string, ScopeUsage>()
  for (const u of entries) {
    const key = `${u.tokenId}\n${u.scope}`
    const seen = merged.get(key)
    merged.set(key, seen ? { ...seen, count: seen.count + u.count, lastUsedAt: Math.max(seen.lastUsedAt, u.lastUsedAt) } : u)
  }
  return [...merged.values()]
}

/** One entry per (token, day, scope): a single INSERT … ON CONFLICT must not touch a row twice. */
function mergeByDay(daily: DailyUsage[]): DailyUsage[] {
  const out = new Map<string, DailyUsage>()
  for (const d of daily) {
    const key = `${d.tokenId} ${d.day} ${d.scope}`
    const entry = out.get(key)
    if (entry) entry.count += d.count
    else out.set(key, { ...d })
  }
  return [...out.values()]
}
