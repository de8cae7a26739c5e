import { and, asc, eq, gte, sql } from 'drizzle-orm'
import type { DailyUsage, ScopeUsage, UsedScope } from '../../domain/model.js'
import type { UsageStore } from '../../domain/ports.js'
import * as t from '../sqlite-schema.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { SqliteConnection, Tx } from './connection.js'
import { dailyUsageRecord, usageRecord } from '../records.js'
import { selectList } from '../select-list.js'

/**
 * Usage counts on SQLite: bookkeeping, written without an audit event. The batch reads of a page's
 * usage pass the ids as one JSON array (json_each), so each is one cached statement whatever the count.
 */
export function sqliteUsage(c: SqliteConnection, writes: WriteProtocol<Tx>): UsageStore {
  return {
    async recordUsage(usage: ScopeUsage[], needs: ScopeUsage[] = [], daily: DailyUsage[] = []): Promise<void> {
      if (usage.length === 0 && needs.length === 0 && daily.length === 0) return
      await writes.bookkeeping((tx) => {
        for (const d of daily) {
          if (d.scope === '') continue
          tx.insert(t.tokenUsageDaily)
            .values(d)
            .onConflictDoUpdate({
              target: [t.tokenUsageDaily.tokenId, t.tokenUsageDaily.day, t.tokenUsageDaily.scope],
              set: { count: sql`${t.tokenUsageDaily.count} + ${d.count}` },
            })
            .run()
        }
        for (const u of needs) {
          tx.insert(t.tokenScopeNeeds)
            .values(u)
            .onConflictDoUpdate({
              target: [t.tokenScopeNeeds.tokenId, t.tokenScopeNeeds.scope],
              set: { count: sql`${t.tokenScopeNeeds.count} + ${u.count}`, lastUsedAt: sql`max(${t.tokenScopeNeeds.lastUsedAt}, ${u.lastUsedAt})` },
            })
            .run()
        }
        for (const u of usage) {
          if (u.scope !== '')
            tx.insert(t.tokenScopeUsage)
              .values(u)
              .onConflictDoUpdate({
                target: [t.tokenScopeUsage.tokenId, t.tokenScopeUsage.scope],
                set: { count: sql`${t.tokenScopeUsage.count} + ${u.count}`, lastUsedAt: sql`max(${t.tokenScopeUsage.lastUsedAt}, ${u.lastUsedAt})` },
              })
              .run()
          tx.update(t.tokens)
            .set({ lastUsedAt: sql`max(coalesce(${t.tokens.lastUsedAt}, 0), ${u.lastUsedAt})` })
            .where(eq(t.tokens.id, u.tokenId))
            .run()
        }
      })
    },

    async listNeeds(tokenIds: readonly string[]): Promise<ScopeUsage[]> {
      if (tokenIds.length === 0) return []
      return c
        .read<typeof t.tokenScopeNeeds.$inferSelect>(`SELECT ${selectList(t.tokenScopeNeeds)} FROM token_scope_needs WHERE token_id IN (SELECT value FROM json_each(?))`)
        .all(JSON.stringify(tokenIds))
        .map(usageRecord)
    },

    async listDailyUsage(tokenId: string, fromDay: string): Promise<DailyUsage[]> {
      return c.db
        .select()
        .from(t.tokenUsageDaily)
        .where(and(eq(t.tokenUsageDaily.tokenId, tokenId), gte(t.tokenUsageDaily.day, fromDay)))
        .orderBy(asc(t.tokenUsageDaily.day), asc(t.tokenUsageDaily.scope))
        .all()
        .map(dailyUsageRecord)
    },

    async deleteDailyUsageBefore(day: string, limit: number): Promise<number> {
      // Its own short bookkeeping transaction: one bounded batch under the write lock.
      return writes.bookkeeping(
        () =>
          c.sqlite
            .prepare<[string, number]>('DELETE FROM token_usage_daily WHERE (token_id, day, scope) IN (SELECT token_id, day, scope FROM token_usage_daily WHERE day < ? LIMIT ?)')
            .run(day, limit).changes,
      )
    },

    async getUsage(tokenId: string): Promise<ScopeUsage[]> {
      return c.db.select().from(t.tokenScopeUsage).where(eq(t.tokenScopeUsage.tokenId, tokenId)).orderBy(asc(t.tokenScopeUsage.scope)).all().map(usageRecord)
    },

    async listUsage(tokenIds: readonly string[]): Promise<ScopeUsage[]> {
      if (tokenIds.length === 0) return []
      // The rows are ScopeUsage as they come (the SELECT list names its properties): no copy per row.
      return c.read<ScopeUsage>(LIST_USAGE_SQL).all(JSON.stringify(tokenIds))
    },

    async listUsedScopes(tokenIds: readonly string[]): Promise<UsedScope[]> {
      if (tokenIds.length === 0) return []
      return c.read<UsedScope>(LIST_USED_SCOPES_SQL).all(JSON.stringify(tokenIds))
    },
  }
}

/** A page's usage rows in the order of the primary key (token, scope), which the lookup walks: SQLite sorts nothing. */
const LIST_USAGE_SQL = `SELECT ${selectList(t.tokenScopeUsage)} FROM token_scope_usage WHERE token_id IN (SELECT value FROM json_each(?)) ORDER BY token_id, scope`
/** The same rows' key alone, which the primary key's index holds: no table row is read. */
const LIST_USED_SCOPES_SQL = `SELECT ${selectList(t.tokenScopeUsage, ['tokenId', 'scope'])} FROM token_scope_usage WHERE token_id IN (SELECT value FROM json_each(?)) ORDER BY token_id, scope`
