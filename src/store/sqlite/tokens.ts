import type Database from 'better-sqlite3'
import { eq } from 'drizzle-orm'
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
import * as t from '../sqlite-schema.js'
import { tokenConditions, tokenOrderSql } from '../token-conditions.js'
import { CreditRefused, revokeFamilySql, selectCreditChainSql, selectFamilySql } from '../token-family-sql.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { Params, SqliteConnection, Tx } from './connection.js'
import { TOKEN_COLUMNS, tokenFromRow } from './rows.js'
import { selectList } from '../select-list.js'

/** Tokens on SQLite. */
export function sqliteTokens(c: SqliteConnection, writes: WriteProtocol<Tx>): TokenStore {
  let spend: Database.Statement<[{ now: number; id: string }], { left: number }> | null = null
  const spendStatement = () => (spend ??= c.sqlite.prepare<[{ now: number; id: string }], { left: number }>(SPEND_CREDIT_SQL))
  const revokeFamily = (tx: Tx, id: string, at: number, reason: string | null): string[] => tx.all<{ id: string }>(revokeFamilySql(id, at, reason)).map((r) => r.id)
  const revokeTokensCascade = (ids: readonly string[], at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]> =>
    writes.run({
      guard,
      run: (tx) => {
        const revoked = ids.flatMap((id) => revokeFamily(tx, id, at, reason))
        return { value: revoked, audit: { event: { ...audit, details: { ...audit.details, revoked } }, effect: { write: 'revokeTokens', revoked } } }
      },
    })

  return {
    async getToken(id: string): Promise<TokenRecord | null> {
      const row = c.tokenById().get(id)
      return row ? tokenFromRow(row) : null
    },

    // Batch reads: the ids travel as one JSON array (json_each), so each is one cached statement whatever the count.
    async getTokens(ids: readonly string[]): Promise<TokenRecord[]> {
      if (ids.length === 0) return []
      return c.tokenList(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)).map(tokenFromRow)
    },

    async getTokenNames(ids: readonly string[]): Promise<TokenName[]> {
      if (ids.length === 0) return []
      return c.read<TokenName>(TOKEN_NAMES_SQL).all(JSON.stringify(ids))
    },

    async listChildTokens(parentIds: readonly string[]): Promise<TokenRecord[]> {
      if (parentIds.length === 0) return []
      return c.tokenList(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE parent_id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(parentIds)).map(tokenFromRow)
    },

    async listTokens(filter: TokenFilter, options: { after?: Position | undefined; limit: number; order?: TokenOrder | undefined }): Promise<Page<TokenRecord>> {
      const { where, params } = rawTokenFilter(filter)
      let orderBy = 'created_at, id'
      if (options.order) {
        const order = tokenOrderSql(options.order, { bind: (value) => (params.push(value), '?') })
        if (order.after) where.push(order.after)
        orderBy = order.orderBy
      } else if (options.after) {
        // A row-value comparison lets SQLite seek the (created_at, id) index: a page deep in the list costs what the first does.
        where.push('(created_at, id) > (?, ?)')
        params.push(options.after.createdAt, options.after.id)
      }
      const text = `SELECT ${TOKEN_COLUMNS} FROM tokens ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${orderBy} LIMIT ?`
      return page(
        c
          .tokenList(text)
          .all(...params, options.limit + 1)
          .map(tokenFromRow),
        options.limit,
      )
    },

    async countTokens(filter: TokenFilter): Promise<number> {
      const { where, params } = rawTokenFilter(filter)
      return c.count(`SELECT count(*) AS n FROM tokens ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`).get(...params)?.n ?? 0
    },

    insertToken(token: TokenRecord, audit: AuditEventInput, activeParentAt?: number, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: (tx) => {
          // A derived token's parent, or the issuer a bound token lives by, must still be active.
          const livesBy = token.parentId ?? token.boundTo
          if (activeParentAt !== undefined && livesBy !== null) {
            const parent = tx.select().from(t.tokens).where(eq(t.tokens.id, livesBy)).get()
            if (!parent || parent.revokedAt !== null || (parent.expiresAt !== null && parent.expiresAt <= activeParentAt)) return { value: false, audit: null }
          }
          tx.insert(t.tokens).values(token).run()
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
        run: (tx) => {
          const balance = tx
            .select({ creditsRemaining: t.tokens.creditsRemaining, creditsRefilledAt: t.tokens.creditsRefilledAt })
            .from(t.tokens)
            .where(eq(t.tokens.id, oldId))
            .get()
          tx.insert(t.tokens)
            .values(successor.creditsRemaining !== null && balance ? { ...successor, ...balance } : successor)
            .run()
          tx.update(t.tokens).set({ parentId: successor.id }).where(eq(t.tokens.parentId, oldId)).run()
          tx.update(t.tokens).set({ boundTo: successor.id }).where(eq(t.tokens.boundTo, oldId)).run()
          tx.update(t.tokens).set(oldEnd).where(eq(t.tokens.id, oldId)).run()
          tx.insert(t.meta)
            .values({ key: rotatedKey(oldId), value: successor.id })
            .run()
          return { value: undefined, audit: { event: audit, effect: { write: 'rotateToken', oldId, successorId: successor.id } } }
        },
      })
    },

    narrowTokenScopes(id: string, scopes: string[], audit: AuditEventInput, close?: CloseScopes, guard?: WriteGuard): Promise<{ id: string; scopes: string[] }[]> {
      return writes.run({
        guard,
        run: (tx) => {
          const family = tx.all<{ id: string; parent_id: string | null; scopes: string }>(selectFamilySql(id))
          const changed = narrowFamily(
            family.map((r) => ({ id: r.id, parentId: r.parent_id, scopes: JSON.parse(r.scopes) as string[] })),
            id,
            scopes,
            close,
          )
          for (const ch of changed) tx.update(t.tokens).set({ scopes: ch.scopes }).where(eq(t.tokens.id, ch.id)).run()
          const event = { ...audit, details: { ...audit.details, changed } }
          return { value: changed, audit: { event, effect: { write: 'narrowTokenScopes', changed: changed.map((ch) => ch.id), scopes: changed } } }
        },
      })
    },

    recordTokenEvent(audit: AuditEventInput): Promise<void> {
      return writes.run({ run: () => ({ value: undefined, audit: { event: audit, effect: { write: 'tokenEvent' } } }) })
    },

    async listTokenFamily(id: string): Promise<{ id: string; parentId: string | null }[]> {
      return c.db.all<{ id: string; parent_id: string | null }>(selectFamilySql(id)).map((r) => ({ id: r.id, parentId: r.parent_id }))
    },

    setTokenConstraints(changes: readonly TokenConstraintChange[], audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
      return writes.run({
        guard,
        run: (tx) => {
          for (const ch of changes) {
            tx.update(t.tokens)
              .set({ constraints: ch.constraints, creditsRemaining: ch.creditsRemaining, creditsRefilledAt: ch.creditsRefilledAt })
              .where(eq(t.tokens.id, ch.id))
              .run()
          }
          return { value: undefined, audit: { event: audit, effect: { write: 'setTokenConstraints', changed: changes.map((ch) => ch.id) } } }
        },
      })
    },

    // One statement: the refill (computed from the last refill time) and the spend are decided on the row as it is now.
    // Along a chain, one statement per token in one savepoint: a refusal anywhere rolls every spend back.
    async spendCredit(id: string, now: number, ancestors = false): Promise<number | null> {
      if (!ancestors) {
        const row = await writes.bookkeeping(() => spendStatement().get({ now, id }))
        return row?.left ?? null
      }
      try {
        return await writes.bookkeeping((tx) => {
          const chain = tx.all<{ id: string }>(selectCreditChainSql(id)).map((r) => r.id)
          if (!chain.includes(id)) return null
          let left: number | null = null
          for (const member of chain) {
            const row = spendStatement().get({ now, id: member })
            if (!row) throw new CreditRefused()
            if (member === id) left = row.left
          }
          return left
        })
      } catch (error) {
        if (error instanceof CreditRefused) return null
        throw error
      }
    },
  }
}

/** `getTokenNames`: the ids as one JSON array, so one cached statement whatever the count; rows keyed as TokenName. */
const TOKEN_NAMES_SQL = `SELECT ${selectList(t.tokens, ['id', 'appId', 'subject', 'name'])} FROM tokens WHERE id IN (SELECT value FROM json_each(?))`

/** The token filter as SQL text and parameters (`?` placeholders, `json_each` for scopes). */
function rawTokenFilter(f: TokenFilter): { where: string[]; params: Params } {
  const params: Params = []
  const where = tokenConditions(f, {
    bind: (value) => (params.push(value), '?'),
    hasScope: (ph) => `EXISTS (SELECT 1 FROM json_each(tokens.scopes) WHERE json_each.value = ${ph})`,
    contains: (column, ph) => `instr(lower(${column}), lower(${ph})) > 0`,
    successorOf: (table) => `json_extract(${table}.constraints, '$.successor')`,
    // The text test first: most constrained tokens were never rotated, and it spares them a JSON parse per row.
    namesSuccessor: (table) => `(instr(${table}.constraints, '"successor"') > 0 AND json_extract(${table}.constraints, '$.successor') IS NOT NULL)`,
  })
  return { where, params }
}

/**
 * Spends one credit, refilling first when due: every `intervalMs` since `credits_refilled_at` the
 * balance is topped up to `amount`, and the refill time moves on by whole intervals (CAST: a bound
 * number may arrive as a REAL, and the division must truncate). SQLite reads
 * every SET expression on the row before the update, so `due` and the balance agree.
 * Parameters `@now` and `@id`; prepared once per connection (a constrained token spends on every request).
 */
const SPEND_CREDIT_SQL = (() => {
  const interval = `json_extract(constraints, '$.credits.refill.intervalMs')`
  const amount = `json_extract(constraints, '$.credits.refill.amount')`
  const due = `(${interval} IS NOT NULL AND @now >= credits_refilled_at + ${interval})`
  const balance = `(CASE WHEN ${due} THEN max(credits_remaining, ${amount}) ELSE credits_remaining END)`
  return `UPDATE tokens SET credits_remaining = ${balance} - 1,
    credits_refilled_at = CASE WHEN ${due} THEN credits_refilled_at + CAST((@now - credits_refilled_at) / ${interval} AS INTEGER) * ${interval} ELSE credits_refilled_at END
    WHERE id = @id AND credits_remaining IS NOT NULL AND ${balance} > 0
    RETURNING credits_remaining AS "left"`
})()
