import { eq, inArray, sql } from 'drizzle-orm'
import {
  rotatedKey,
  type AuditEventInput,
  type CloseScopes,
  type Page,
  type Position,
  type RotatedEnd,
  type TokenFilter,
  type TokenName,
  type TokenOrder,
  type TokenRecord,
  type WriteGuard,
} from '../../domain/model.js'
import type { TokenConstraintChange, TokenStore } from '../../domain/ports.js'
import { narrowFamily } from '../narrow-family.js'
import { page } from '../page.js'
import * as t from '../pg-schema.js'
import { tokenConditions, tokenOrderSql } from '../token-conditions.js'
import { CreditRefused, revokeFamilySql, selectCreditChainSql, selectFamilySql } from '../token-family-sql.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { PgConnection, Tx } from './connection.js'
import { tokenFromWire, type TokenWire } from './rows.js'
import { selectList } from '../select-list.js'
import { tokenRecord } from '../records.js'

const TOKEN_COLUMNS = selectList(t.tokens)

/** Tokens on PostgreSQL. */
export function pgTokens(c: PgConnection, writes: WriteProtocol<Tx>): TokenStore {
  const revokeTokensCascade = (ids: readonly string[], at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]> =>
    writes.run({
      guard,
      run: async (tx) => {
        const revoked: string[] = []
        for (const id of ids) {
          const { rows } = await tx.execute<{ id: string }>(revokeFamilySql(id, at, reason))
          revoked.push(...rows.map((r) => r.id))
        }
        return { value: revoked, audit: { event: { ...audit, details: { ...audit.details, revoked } }, effect: { write: 'revokeTokens', revoked } } }
      },
    })

  return {
    async getToken(id: string): Promise<TokenRecord | null> {
      const [row] = await c.getToken.execute({ id })
      return row ? tokenRecord(row) : null
    },

    async getTokens(ids: readonly string[]): Promise<TokenRecord[]> {
      if (ids.length === 0) return []
      return c.db
        .select()
        .from(t.tokens)
        .where(inArray(t.tokens.id, [...ids]))
    },

    async getTokenNames(ids: readonly string[]): Promise<TokenName[]> {
      if (ids.length === 0) return []
      return c.db
        .select({ id: t.tokens.id, appId: t.tokens.appId, subject: t.tokens.subject, name: t.tokens.name })
        .from(t.tokens)
        .where(inArray(t.tokens.id, [...ids]))
    },

    async listChildTokens(parentIds: readonly string[]): Promise<TokenRecord[]> {
      if (parentIds.length === 0) return []
      return c.db
        .select()
        .from(t.tokens)
        .where(inArray(t.tokens.parentId, [...parentIds]))
    },

    async listTokens(filter: TokenFilter, options: { after?: Position | undefined; limit: number; order?: TokenOrder | undefined }): Promise<Page<TokenRecord>> {
      const { where, params } = rawTokenFilter(filter)
      let orderBy = 'created_at, id'
      if (options.order) {
        const order = tokenOrderSql(options.order, { bind: (value) => `$${params.push(value)}` })
        if (order.after) where.push(order.after)
        orderBy = order.orderBy
      } else if (options.after) {
        // A row-value comparison lets PostgreSQL seek the (created_at, id) index: a deep page costs what the first does.
        params.push(options.after.createdAt, options.after.id)
        where.push(`(created_at, id) > ($${params.length - 1}, $${params.length})`)
      }
      params.push(options.limit + 1)
      const text = `SELECT ${TOKEN_COLUMNS} FROM tokens ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${orderBy} LIMIT $${params.length}`
      const { rows } = await c.pool.query<TokenWire>({ name: c.statementName('scopeward_list_tokens', text), text, values: params })
      return page(rows.map(tokenFromWire), options.limit)
    },

    async countTokens(filter: TokenFilter): Promise<number> {
      const { where, params } = rawTokenFilter(filter)
      const { rows } = await c.pool.query<{ n: string }>({ text: `SELECT count(*) AS n FROM tokens ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, values: params })
      return Number(rows[0]?.n ?? 0)
    },

    insertToken(token: TokenRecord, audit: AuditEventInput, activeParentAt?: number, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: async (tx) => {
          // A derived token's parent, or the issuer a bound token lives by, must still be active.
          const livesBy = token.parentId ?? token.boundTo
          if (activeParentAt !== undefined && livesBy !== null) {
            const [parent] = await tx.select().from(t.tokens).where(eq(t.tokens.id, livesBy))
            if (!parent || parent.revokedAt !== null || (parent.expiresAt !== null && parent.expiresAt <= activeParentAt)) return { value: false, audit: null }
          }
          await tx.insert(t.tokens).values(token)
          return { value: true, audit: { event: audit, effect: { write: 'insertToken', tokenId: token.id } } }
        },
      })
    },

    revokeTokenCascade(id: string, at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]> {
      return revokeTokensCascade([id], at, reason, audit, guard)
    },

    revokeTokensCascade,

    rotateToken(oldId: string, successor: TokenRecord, oldEnd: RotatedEnd, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
      return writes.run({
        guard,
        run: async (tx) => {
          // Locked: a concurrent spend waits, then finds the old row handed over (balance 0) and follows `creditsFrom`.
          const [balance] = await tx
            .select({ creditsRemaining: t.tokens.creditsRemaining, creditsRefilledAt: t.tokens.creditsRefilledAt })
            .from(t.tokens)
            .where(eq(t.tokens.id, oldId))
            .for('update')
          await tx.insert(t.tokens).values(successor.creditsRemaining !== null && balance ? { ...successor, ...balance } : successor)
          await tx.update(t.tokens).set({ parentId: successor.id }).where(eq(t.tokens.parentId, oldId))
          await tx.update(t.tokens).set({ boundTo: successor.id }).where(eq(t.tokens.boundTo, oldId))
          await tx.update(t.tokens).set(oldEnd).where(eq(t.tokens.id, oldId))
          await tx.insert(t.meta).values({ key: rotatedKey(oldId), value: successor.id })
          return { value: undefined, audit: { event: audit, effect: { write: 'rotateToken', oldId, successorId: successor.id } } }
        },
      })
    },

    narrowTokenScopes(id: string, scopes: string[], audit: AuditEventInput, close?: CloseScopes, guard?: WriteGuard): Promise<{ id: string; scopes: string[] }[]> {
      return writes.run({
        guard,
        run: async (tx) => {
          const { rows } = await tx.execute<{ id: string; parent_id: string | null; scopes: string[] }>(selectFamilySql(id))
          const changed = narrowFamily(
            rows.map((r) => ({ id: r.id, parentId: r.parent_id, scopes: r.scopes })),
            id,
            scopes,
            close,
          )
          for (const ch of changed) await tx.update(t.tokens).set({ scopes: ch.scopes }).where(eq(t.tokens.id, ch.id))
          const event = { ...audit, details: { ...audit.details, changed } }
          return { value: changed, audit: { event, effect: { write: 'narrowTokenScopes', changed: changed.map((ch) => ch.id), scopes: changed } } }
        },
      })
    },

    setTokenConstraints(changes: readonly TokenConstraintChange[], audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
      return writes.run({
        guard,
        run: async (tx) => {
          for (const ch of changes) {
            await tx
              .update(t.tokens)
              .set({ constraints: ch.constraints, creditsRemaining: ch.creditsRemaining, creditsRefilledAt: ch.creditsRefilledAt })
              .where(eq(t.tokens.id, ch.id))
          }
          return { value: undefined, audit: { event: audit, effect: { write: 'setTokenConstraints', changed: changes.map((ch) => ch.id) } } }
        },
      })
    },

    // One statement, outside any transaction: the row lock it takes serialises concurrent spends across instances.
    // Along a chain, one transaction that a refusal anywhere rolls back, under the write lock: it locks several
    // token rows, as writes do (in no set order), so it must not interleave with one (a deadlock).
    // A spend of one row holds no other lock and needs none.
    async spendCredit(id: string, now: number, ancestors = false): Promise<number | null> {
      if (!ancestors) {
        const { rows } = await c.db.execute<{ left: string }>(spendCreditSql(now, id))
        return rows[0] ? Number(rows[0].left) : null
      }
      try {
        return await writes.bookkeeping(async (tx) => {
          const chain = (await tx.execute<{ id: string }>(selectCreditChainSql(id))).rows.map((r) => r.id)
          if (!chain.includes(id)) return null
          let left: number | null = null
          for (const member of chain) {
            const { rows } = await tx.execute<{ left: string }>(spendCreditSql(now, member))
            if (!rows[0]) throw new CreditRefused()
            if (member === id) left = Number(rows[0].left)
          }
          return left
        })
      } catch (error) {
        if (error instanceof CreditRefused) return null
        throw error
      }
    },

    recordTokenEvent(audit: AuditEventInput): Promise<void> {
      return writes.run({ run: () => ({ value: undefined, audit: { event: audit, effect: { write: 'tokenEvent' } } }) })
    },

    async listTokenFamily(id: string): Promise<{ id: string; parentId: string | null }[]> {
      const { rows } = await c.db.execute<{ id: string; parent_id: string | null }>(selectFamilySql(id))
      return rows.map((r) => ({ id: r.id, parentId: r.parent_id }))
    },
  }
}

/** The token filter as SQL text and $n parameters, in a fixed clause order so equal shapes share one prepared statement. */
function rawTokenFilter(f: TokenFilter): { where: string[]; params: (string | number)[] } {
  const params: (string | number)[] = []
  const where = tokenConditions(f, {
    bind: (value) => `$${params.push(value)}`,
    hasScope: (ph) => `scopes ? ${ph}`,
    contains: (column, ph) => `strpos(lower(${column}), lower(${ph})) > 0`,
    successorOf: (table) => `(${table}.constraints->>'successor')`,
    namesSuccessor: (table) => `(${table}.constraints->>'successor') IS NOT NULL`,
  })
  return { where, params }
}

/**
 * Spends one credit, refilling first when due: every `intervalMs` since `credits_refilled_at` the
 * balance is topped up to `amount`, and the refill time moves on by whole intervals. PostgreSQL
 * re-evaluates the WHERE on the latest row version after waiting on a concurrent spend's lock
 * (READ COMMITTED), so no two spends take the same last credit.
 */
function spendCreditSql(now: number, id: string) {
  const interval = sql`((constraints->'credits'->'refill'->>'intervalMs')::bigint)`
  const amount = sql`((constraints->'credits'->'refill'->>'amount')::bigint)`
  const at = sql`${now}::bigint`
  const due = sql`(${interval} IS NOT NULL AND ${at} >= credits_refilled_at + ${interval})`
  const balance = sql`(CASE WHEN ${due} THEN greatest(credits_remaining, ${amount}) ELSE credits_remaining END)`
  return sql`UPDATE tokens SET credits_remaining = ${balance} - 1,
    credits_refilled_at = CASE WHEN ${due} THEN credits_refilled_at + ((${at} - credits_refilled_at) / ${interval}) * ${interval} ELSE credits_refilled_at END
    WHERE id = ${id} AND credits_remaining IS NOT NULL AND ${balance} > 0
    RETURNING credits_remaining AS "left"`
}
