import { createHash, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { and, asc, count, desc, eq, gt, inArray, isNull, ne, or, sql } from 'drizzle-orm'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { auditConditions } from './audit-conditions.js'
import { revokeFamilySql, selectFamilySql } from './token-family-sql.js'
import { tokenConditions } from './token-conditions.js'
import { packageRoot } from '../package-root.js'
import { refuseMalformedText } from './refuse-malformed-text.js'
import { auditHash, auditHeadTag, GENESIS_HASH } from './audit-hash.js'
import { expiriesByKid, jwtExpiriesByKidSql, revokeJwtsOfKeysSql } from './signing-key-sql.js'
import { narrowFamily, type CloseScopes } from './narrow-family.js'
import { CHANGE_CHANNEL, PgChangeListener, type ChangeNotice } from './pg-change-listener.js'
import * as t from './pg-schema.js'
import { isPlaintextKey, KEYS_SEALED_META, KeyWriteRefused, rotatedKey, type AppChanges, type AppRecord, type AuditEventInput, type AuditFilter, type AuditEventRecord, type ClientSecretRecord, type GuardRows, type Page, type Position, type ScopeRecord, type ScopeUsage, type SigningKeyRecord, type Store, type StoreChange, type TokenFilter, type TokenRecord, type WriteGuard } from './store.js'

type Db = NodePgDatabase<typeof t>
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/**
 * The advisory lock every writing transaction takes first. It serialises writers across all
 * instances, as SQLite's single writer does: the audit chain stays linear (each event reads the
 * previous hash under the lock), and checks made inside a transaction (an active parent, an
 * unrevoked secret) cannot race a concurrent revocation. Readers never wait for it.
 */
const WRITE_LOCK = 0x73636f7065 // 'scope'
/** NOTIFY payloads must stay under 8000 bytes; a larger change is announced as 'all'. */
const MAX_PAYLOAD = 7_900

/**
 * The PostgreSQL store, for several instances behind a load balancer: drizzle node-postgres over a
 * pg.Pool. Every change commits with its audit event and a NOTIFY of what changed, which a
 * dedicated LISTEN connection of every other instance turns into `subscribe` callbacks.
 */
export class PgStore implements Store {
  readonly dialect = 'postgres' as const
  readonly #pool: pg.Pool
  readonly #db: Db
  readonly #url: string
  readonly #origin = randomUUID()
  readonly #listeners: ((change: StoreChange) => void)[] = []
  #listener: PgChangeListener | null = null
  readonly #listNames = new Map<string, string>()
  readonly #prepared: ReturnType<typeof prepareStatements>
  /** The audit chain's MAC key (from the master key), or null: plain SHA-256 links. */
  readonly #auditKey: Uint8Array | null

  constructor(url: string, options: { poolSize?: number; auditKey?: Uint8Array | null } = {}) {
    this.#url = url
    this.#auditKey = options.auditKey ?? null
    this.#pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, application_name: 'scopeward' })
    // An idle connection that breaks is dropped by the pool; without a handler it would crash the process.
    this.#pool.on('error', () => undefined)
    this.#db = drizzle(this.#pool, { schema: t })
    this.#prepared = prepareStatements(this.#db)
    return refuseMalformedText(this)
  }

  subscribe(listener: (change: StoreChange) => void): void {
    this.#listeners.push(listener)
    if (!this.#listener) {
      this.#listener = new PgChangeListener({ connectionString: this.#url, origin: this.#origin, onChange: (change) => this.#changed(change) })
      void this.#listener.start()
    }
  }

  /** Resolves once the LISTEN connection is up (tests wait on it; serving does not need to). */
  async listening(): Promise<void> {
    await this.#listener?.start()
  }

  #changed(change: StoreChange): void {
    for (const listener of this.#listeners) listener(change)
  }

  async migrate(): Promise<void> {
    // A session lock on one connection: instances started together migrate one after the other.
    const client = new pg.Client({ connectionString: this.#url, application_name: 'scopeward-migrate' })
    await client.connect()
    try {
      await client.query('SELECT pg_advisory_lock($1)', [WRITE_LOCK + 1])
      await migrate(drizzle(client), { migrationsFolder: migrationsFolder() })
    } finally {
      await client.end()
    }
  }

  async ready(): Promise<boolean> {
    try {
      const journal = JSON.parse(readFileSync(join(migrationsFolder(), 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
      const { rows } = await this.#pool.query<{ n: string }>('SELECT count(*) AS n FROM drizzle.__drizzle_migrations')
      return Number(rows[0]?.n) === journal.entries.length
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    await this.#listener?.stop()
    if (!this.#pool.ended) await this.#pool.end()
  }

  async getMeta(key: string): Promise<string | null> {
    const [row] = await this.#db.select().from(t.meta).where(eq(t.meta.key, key))
    return row?.value ?? null
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.#db.insert(t.meta).values({ key, value }).onConflictDoUpdate({ target: t.meta.key, set: { value } })
  }

  async deleteMeta(key: string): Promise<void> {
    await this.#db.delete(t.meta).where(eq(t.meta.key, key))
  }

  async listMeta(prefix: string): Promise<{ key: string; value: string }[]> {
    return this.#db.select().from(t.meta).where(sql`substr(${t.meta.key}, 1, ${prefix.length}) = ${prefix}`)
  }

  async initialize(seed: { scopes: ScopeRecord[]; rootApp: AppRecord; rootToken: TokenRecord; audit: AuditEventInput }): Promise<boolean> {
    return this.#write(async (tx) => {
      const [done] = await tx.select().from(t.meta).where(eq(t.meta.key, 'initialized_at'))
      if (done) return false
      await tx.insert(t.scopes).values(seed.scopes)
      await tx.insert(t.apps).values(seed.rootApp)
      await tx.insert(t.tokens).values(seed.rootToken)
      await tx.insert(t.meta).values({ key: 'initialized_at', value: String(seed.audit.at) })
      await this.#audit(tx, seed.audit)
      return true
    })
  }

  async listScopes(): Promise<ScopeRecord[]> {
    return this.#db.select().from(t.scopes).orderBy(asc(t.scopes.name))
  }

  async insertScope(scope: ScopeRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
    return this.#write(async (tx) => {
      // Under the write lock, so two instances declaring one name cannot both pass this.
      const [taken] = await tx.select({ name: t.scopes.name }).from(t.scopes).where(eq(t.scopes.name, scope.name))
      if (taken) return false
      await tx.insert(t.scopes).values(scope)
      for (const root of await tx.select().from(t.apps).where(eq(t.apps.isRoot, true))) {
        await tx.update(t.apps).set({ allowedScopes: [...root.allowedScopes, scope.name].sort() }).where(eq(t.apps.id, root.id))
      }
      await this.#audit(tx, audit)
      return true
    }, (inserted) => (inserted ? { kind: 'scopes' } : null), guard)
  }

  async getApp(id: string): Promise<AppRecord | null> {
    const [row] = await this.#prepared.getApp.execute({ id })
    return row ?? null
  }

  async listApps(options: { appId?: string | undefined; after?: Position | undefined; limit: number }): Promise<Page<AppRecord>> {
    const after = options.after ? sql`(${t.apps.createdAt}, ${t.apps.id}) > (${options.after.createdAt}, ${options.after.id})` : undefined
    const where = and(options.appId !== undefined ? eq(t.apps.id, options.appId) : undefined, after)
    const rows = await this.#db.select().from(t.apps).where(where).orderBy(asc(t.apps.createdAt), asc(t.apps.id)).limit(options.limit + 1)
    return page(rows, options.limit)
  }

  async countApps(options: { appId?: string | undefined }): Promise<number> {
    const where = options.appId !== undefined ? eq(t.apps.id, options.appId) : undefined
    const [row] = await this.#db.select({ n: count() }).from(t.apps).where(where)
    return row?.n ?? 0
  }

  async insertApp(app: AppRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    await this.#write(async (tx) => {
      await tx.insert(t.apps).values(app)
      await this.#audit(tx, audit)
    }, undefined, guard)
  }

  async updateApp(id: string, changes: AppChanges, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    await this.#write(async (tx) => {
      if (Object.keys(changes).length > 0) await tx.update(t.apps).set(changes).where(eq(t.apps.id, id))
      await this.#audit(tx, audit)
    }, () => ({ kind: 'app', id }), guard)
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    const [row] = await this.#prepared.getToken.execute({ id })
    return row ?? null
  }

  async listTokens(filter: TokenFilter, options: { after?: Position | undefined; limit: number }): Promise<Page<TokenRecord>> {
    const { where, params } = rawTokenFilter(filter)
    if (options.after) {
      // A row-value comparison lets PostgreSQL seek the (created_at, id) index: a deep page costs what the first does.
      params.push(options.after.createdAt, options.after.id)
      where.push(`(created_at, id) > ($${params.length - 1}, $${params.length})`)
    }
    params.push(options.limit + 1)
    const text = `SELECT * FROM tokens ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id LIMIT $${params.length}`
    // A named statement is parsed and planned once per connection, one per filter shape.
    let name = this.#listNames.get(text)
    if (!name) {
      name = `scopeward_list_tokens_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`
      this.#listNames.set(text, name)
    }
    const { rows } = await this.#pool.query<RawToken>({ name, text, values: params })
    return page(rows.map(tokenFromRow), options.limit)
  }

  async countTokens(filter: TokenFilter): Promise<number> {
    const { where, params } = rawTokenFilter(filter)
    const { rows } = await this.#pool.query<{ n: string }>({ text: `SELECT count(*) AS n FROM tokens ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, values: params })
    return Number(rows[0]?.n ?? 0)
  }

  async insertToken(token: TokenRecord, audit: AuditEventInput, activeParentAt?: number, guard?: WriteGuard): Promise<boolean> {
    return this.#write(async (tx) => {
      // A derived token's parent, or the issuer a bound token lives by, must still be active.
      const livesBy = token.parentId ?? token.boundTo
      if (activeParentAt !== undefined && livesBy !== null) {
        const [parent] = await tx.select().from(t.tokens).where(eq(t.tokens.id, livesBy))
        if (!parent || parent.revokedAt !== null || (parent.expiresAt !== null && parent.expiresAt <= activeParentAt)) return false
      }
      await tx.insert(t.tokens).values(token)
      await this.#audit(tx, audit)
      return true
    }, undefined, guard)
  }

  async revokeTokenCascade(id: string, at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]> {
    return this.revokeTokensCascade([id], at, reason, audit, guard)
  }

  async rotateToken(oldId: string, successor: TokenRecord, oldEnd: { expiresAt: number | null } | { revokedAt: number; revokeReason: string }, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    await this.#write(async (tx) => {
      await tx.insert(t.tokens).values(successor)
      await tx.update(t.tokens).set({ parentId: successor.id }).where(eq(t.tokens.parentId, oldId))
      await tx.update(t.tokens).set({ boundTo: successor.id }).where(eq(t.tokens.boundTo, oldId))
      await tx.update(t.tokens).set(oldEnd).where(eq(t.tokens.id, oldId))
      await tx.insert(t.meta).values({ key: rotatedKey(oldId), value: successor.id })
      await this.#audit(tx, audit)
    }, () => ({ kind: 'token', ids: [oldId] }), guard)
  }

  async listAuditEvents(options: AuditFilter & { after?: number | undefined; limit: number }): Promise<Page<AuditEventRecord>> {
    const where = and(auditConditions(t.auditEvents, options), options.after !== undefined ? gt(t.auditEvents.seq, options.after) : undefined)
    const rows = await this.#db.select().from(t.auditEvents).where(where).orderBy(asc(t.auditEvents.seq)).limit(options.limit + 1)
    return page(rows, options.limit)
  }

  async countAuditEvents(options: AuditFilter): Promise<number> {
    const [row] = await this.#db.select({ n: count() }).from(t.auditEvents).where(auditConditions(t.auditEvents, options))
    return row?.n ?? 0
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.#db.select().from(t.signingKeys).orderBy(asc(t.signingKeys.createdAt), asc(t.signingKeys.kid))
  }

  async insertSigningKey(key: SigningKeyRecord, retireAfter: number, audit: AuditEventInput, emergency?: { at: number; reason: string }, guard?: WriteGuard): Promise<string[]> {
    return this.#write(
      async (tx) => {
        if (isPlaintextKey(key.privateKey) && (await tx.select().from(t.meta).where(eq(t.meta.key, KEYS_SEALED_META))).length > 0) {
          throw new KeyWriteRefused('the signing keys of this database are sealed under a master key: set SCOPEWARD_MASTER_KEY to write a new one')
        }
        let ids: string[] = []
        let event = audit
        if (emergency) {
          const old = (await tx.select({ kid: t.signingKeys.kid }).from(t.signingKeys).where(ne(t.signingKeys.status, 'RETIRED'))).map((r) => r.kid)
          await tx.update(t.signingKeys).set({ status: 'RETIRED', privateKey: '' }).where(ne(t.signingKeys.status, 'RETIRED'))
          ids = (await tx.execute<{ id: string }>(revokeJwtsOfKeysSql(old, emergency.at, emergency.reason))).rows.map((r) => r.id)
          event = { ...audit, details: { ...audit.details, retired: old, revoked: ids } }
        } else {
          await tx.update(t.signingKeys).set({ status: 'RETIRING', retireAfter }).where(eq(t.signingKeys.status, 'ACTIVE'))
        }
        await tx.insert(t.signingKeys).values(key)
        if (!isPlaintextKey(key.privateKey)) await this.#markSealed(tx)
        await this.#audit(tx, event)
        return ids
      },
      (ids) => (ids.length > 0 ? { kind: 'all' } : { kind: 'keys' }),
      guard,
    )
  }

  async retireSigningKeys(kids: string[], audit: AuditEventInput): Promise<void> {
    if (kids.length === 0) return
    await this.#write(async (tx) => {
      await tx
        .update(t.signingKeys)
        .set({ status: 'RETIRED', privateKey: '' })
        .where(and(inArray(t.signingKeys.kid, kids), or(eq(t.signingKeys.status, 'RETIRING'), and(eq(t.signingKeys.status, 'RETIRED'), ne(t.signingKeys.privateKey, '')))))
      await this.#audit(tx, audit)
    }, () => ({ kind: 'keys' }))
  }

  async sealSigningKeys(sealed: { kid: string; privateKey: string }[], audit: AuditEventInput): Promise<void> {
    await this.#write(async (tx) => {
      let changed = 0
      for (const { kid, privateKey } of sealed) {
        changed += (await tx.update(t.signingKeys).set({ privateKey }).where(and(eq(t.signingKeys.kid, kid), sql`${t.signingKeys.privateKey} LIKE '{%'`)).returning({ kid: t.signingKeys.kid })).length
      }
      await this.#markSealed(tx)
      if (changed > 0) await this.#audit(tx, audit)
    }, () => ({ kind: 'keys' }))
    // The replaced row versions hold the plaintext until vacuumed: rewrite the (tiny) table now. Best effort (it needs ownership).
    await this.#pool.query('VACUUM FULL signing_keys').catch(() => undefined)
  }

  async #markSealed(tx: Tx): Promise<void> {
    await tx.insert(t.meta).values({ key: KEYS_SEALED_META, value: '1' }).onConflictDoNothing()
  }

  async jwtExpiriesByKid(now: number, maxLifetimeMs: number): Promise<Map<string | null, number>> {
    return expiriesByKid((await this.#db.execute<{ kid: string | null; until: string | null }>(jwtExpiriesByKidSql(now, maxLifetimeMs))).rows)
  }

  async insertClientSecret(secret: ClientSecretRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    await this.#write(async (tx) => {
      await tx.insert(t.clientSecrets).values(secret)
      await this.#audit(tx, audit)
    }, undefined, guard)
  }

  async getClientSecret(id: string): Promise<ClientSecretRecord | null> {
    const [row] = await this.#db.select().from(t.clientSecrets).where(eq(t.clientSecrets.id, id))
    return row ?? null
  }

  async listClientSecrets(appId: string): Promise<ClientSecretRecord[]> {
    return this.#db.select().from(t.clientSecrets).where(eq(t.clientSecrets.appId, appId)).orderBy(asc(t.clientSecrets.createdAt), asc(t.clientSecrets.id))
  }

  async revokeClientSecret(id: string, at: number, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
    return this.#write(async (tx) => {
      const changed = await tx.update(t.clientSecrets).set({ revokedAt: at }).where(and(eq(t.clientSecrets.id, id), isNull(t.clientSecrets.revokedAt))).returning({ id: t.clientSecrets.id })
      if (changed.length === 0) return false
      await this.#audit(tx, audit)
      return true
    }, undefined, guard)
  }

  async recordUsage(usage: ScopeUsage[], needs: ScopeUsage[] = []): Promise<void> {
    if (usage.length === 0 && needs.length === 0) return
    // One statement per table over arrays; several instances' counts add up (count + excluded.count).
    const perScope = new Map<string, ScopeUsage>()
    const perToken = new Map<string, number>()
    for (const u of usage) {
      perToken.set(u.tokenId, Math.max(perToken.get(u.tokenId) ?? 0, u.lastUsedAt))
      if (u.scope === '') continue
      const key = `${u.tokenId}\n${u.scope}`
      const seen = perScope.get(key)
      perScope.set(key, seen ? { ...seen, count: seen.count + u.count, lastUsedAt: Math.max(seen.lastUsedAt, u.lastUsedAt) } : u)
    }
    const scoped = [...perScope.values()]
    const needed = mergeByScope(needs)
    await this.#write(async (tx) => {
      if (needed.length > 0) {
        await tx.execute(sql`
          INSERT INTO token_scope_needs (token_id, scope, count, last_used_at)
          SELECT * FROM unnest(${sql.param(needed.map((u) => u.tokenId))}::text[], ${sql.param(needed.map((u) => u.scope))}::text[], ${sql.param(needed.map((u) => u.count))}::bigint[], ${sql.param(needed.map((u) => u.lastUsedAt))}::bigint[])
          ON CONFLICT (token_id, scope) DO UPDATE SET count = token_scope_needs.count + excluded.count, last_used_at = greatest(token_scope_needs.last_used_at, excluded.last_used_at)`)
      }
      if (scoped.length > 0) {
        await tx.execute(sql`
          INSERT INTO token_scope_usage (token_id, scope, count, last_used_at)
          SELECT * FROM unnest(${sql.param(scoped.map((u) => u.tokenId))}::text[], ${sql.param(scoped.map((u) => u.scope))}::text[], ${sql.param(scoped.map((u) => u.count))}::bigint[], ${sql.param(scoped.map((u) => u.lastUsedAt))}::bigint[])
          ON CONFLICT (token_id, scope) DO UPDATE SET count = token_scope_usage.count + excluded.count, last_used_at = greatest(token_scope_usage.last_used_at, excluded.last_used_at)`)
      }
      if (perToken.size > 0) await tx.execute(sql`
        UPDATE tokens SET last_used_at = greatest(coalesce(tokens.last_used_at, 0), u.at)
        FROM unnest(${sql.param([...perToken.keys()])}::text[], ${sql.param([...perToken.values()])}::bigint[]) AS u(id, at)
        WHERE tokens.id = u.id`)
    })
  }

  async getUsage(tokenId: string): Promise<ScopeUsage[]> {
    return this.#db.select().from(t.tokenScopeUsage).where(eq(t.tokenScopeUsage.tokenId, tokenId)).orderBy(asc(t.tokenScopeUsage.scope))
  }

  async listNeeds(tokenIds: readonly string[]): Promise<ScopeUsage[]> {
    if (tokenIds.length === 0) return []
    return this.#db.select().from(t.tokenScopeNeeds).where(inArray(t.tokenScopeNeeds.tokenId, [...tokenIds]))
  }

  async listTokenFamily(id: string): Promise<{ id: string; parentId: string | null }[]> {
    const { rows } = await this.#db.execute<{ id: string; parent_id: string | null }>(selectFamilySql(id))
    return rows.map((r) => ({ id: r.id, parentId: r.parent_id }))
  }

  async getTokens(ids: readonly string[]): Promise<TokenRecord[]> {
    if (ids.length === 0) return []
    return this.#db.select().from(t.tokens).where(inArray(t.tokens.id, [...ids]))
  }

  async getApps(ids: readonly string[]): Promise<AppRecord[]> {
    if (ids.length === 0) return []
    return this.#db.select().from(t.apps).where(inArray(t.apps.id, [...ids]))
  }

  async listChildTokens(parentIds: readonly string[]): Promise<TokenRecord[]> {
    if (parentIds.length === 0) return []
    return this.#db.select().from(t.tokens).where(inArray(t.tokens.parentId, [...parentIds]))
  }

  async listUsage(tokenIds: readonly string[]): Promise<ScopeUsage[]> {
    if (tokenIds.length === 0) return []
    return this.#db.select().from(t.tokenScopeUsage).where(inArray(t.tokenScopeUsage.tokenId, [...tokenIds]))
  }

  async narrowTokenScopes(id: string, scopes: string[], audit: AuditEventInput, close?: CloseScopes, guard?: WriteGuard): Promise<{ id: string; scopes: string[] }[]> {
    return this.#write(
      async (tx) => {
        const { rows } = await tx.execute<{ id: string; parent_id: string | null; scopes: string[] }>(selectFamilySql(id))
        const changed = narrowFamily(rows.map((r) => ({ id: r.id, parentId: r.parent_id, scopes: r.scopes })), id, scopes, close)
        for (const c of changed) await tx.update(t.tokens).set({ scopes: c.scopes }).where(eq(t.tokens.id, c.id))
        await this.#audit(tx, { ...audit, details: { ...audit.details, changed } })
        return changed
      },
      (changed) => (changed.length > 0 ? { kind: 'token', ids: changed.map((c) => c.id) } : null),
      guard,
    )
  }

  async revokeTokensCascade(ids: readonly string[], at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]> {
    return this.#write(
      async (tx) => {
        const revoked: string[] = []
        for (const id of ids) {
          const { rows } = await tx.execute<{ id: string }>(revokeFamilySql(id, at, reason))
          revoked.push(...rows.map((r) => r.id))
        }
        await this.#audit(tx, { ...audit, details: { ...audit.details, revoked } })
        return revoked
      },
      (revoked) => (revoked.length > 0 ? { kind: 'token', ids: revoked } : null),
      guard,
    )
  }

  /**
   * Runs `work` in one transaction under the write lock. The change it reports is NOTIFYed inside
   * the transaction (PostgreSQL delivers it to other instances on commit, never on rollback) and
   * handed to this instance's subscribers once the commit returns.
   */
  async #write<T>(work: (tx: Tx) => Promise<T>, changeOf?: (result: T) => StoreChange | null, guard?: WriteGuard): Promise<T> {
    let change: StoreChange | null = null
    const result = await this.#db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${WRITE_LOCK})`)
      // Re-read after the lock: no write of any instance can commit between this check and ours.
      if (guard) guard.check(await guardRows(tx, guard))
      const value = await work(tx)
      change = changeOf?.(value) ?? null
      if (change) await tx.execute(sql`SELECT pg_notify(${CHANGE_CHANNEL}, ${notice(this.#origin, change)})`)
      return value
    })
    if (change) this.#changed(change)
    return result
  }

  /** Appends an audit event chained to the last one; called inside #write, whose lock keeps the chain linear. */
  async #audit(tx: Tx, event: AuditEventInput): Promise<void> {
    const [last] = await tx.select({ hash: t.auditEvents.hash }).from(t.auditEvents).orderBy(desc(t.auditEvents.seq)).limit(1)
    const hash = auditHash(last?.hash ?? GENESIS_HASH, event, this.#auditKey)
    await tx.insert(t.auditEvents).values({ ...event, hash })
    // The head is kept beside the chain so that deleting the newest events is detected too; with a key, under a MAC.
    await tx.insert(t.meta).values({ key: 'audit_head', value: hash }).onConflictDoUpdate({ target: t.meta.key, set: { value: hash } })
    if (this.#auditKey) {
      const tag = auditHeadTag(this.#auditKey, hash)
      await tx.insert(t.meta).values({ key: 'audit_head_tag', value: tag }).onConflictDoUpdate({ target: t.meta.key, set: { value: tag } })
    }
  }
}

/** The rows a guard names, read under the write lock and locked FOR UPDATE until the transaction ends. */
async function guardRows(tx: Tx, guard: WriteGuard): Promise<GuardRows> {
  const read = async <R>(ids: readonly string[] | undefined, query: (ids: string[]) => Promise<R[]>, key: (row: R) => string): Promise<Map<string, R>> =>
    new Map(ids?.length ? (await query([...ids])).map((row) => [key(row), row]) : [])
  const meta = await read(guard.meta, (ids) => tx.select().from(t.meta).where(inArray(t.meta.key, ids)).for('update'), (r) => r.key)
  return {
    tokens: await read(guard.tokens, (ids) => tx.select().from(t.tokens).where(inArray(t.tokens.id, ids)).for('update'), (r) => r.id),
    apps: await read(guard.apps, (ids) => tx.select().from(t.apps).where(inArray(t.apps.id, ids)).for('update'), (r) => r.id),
    clientSecrets: await read(guard.clientSecrets, (ids) => tx.select().from(t.clientSecrets).where(inArray(t.clientSecrets.id, ids)).for('update'), (r) => r.id),
    signingKeys: await read(guard.signingKeys, (ids) => tx.select().from(t.signingKeys).where(inArray(t.signingKeys.kid, ids)).for('update'), (r) => r.kid),
    meta: new Map([...meta].map(([k, r]) => [k, r.value])),
  }
}

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

/** The NOTIFY payload of a change; a change too large for one notification becomes 'all'. */
function notice(origin: string, change: StoreChange): string {
  const payload = JSON.stringify({ origin, change } satisfies ChangeNotice)
  return payload.length <= MAX_PAYLOAD ? payload : JSON.stringify({ origin, change: { kind: 'all' } } satisfies ChangeNotice)
}

function prepareStatements(db: Db) {
  return {
    getToken: db.select().from(t.tokens).where(eq(t.tokens.id, sql.placeholder('id'))).prepare('scopeward_get_token'),
    getApp: db.select().from(t.apps).where(eq(t.apps.id, sql.placeholder('id'))).prepare('scopeward_get_app'),
  }
}

function migrationsFolder(): string {
  return join(packageRoot(), 'drizzle', 'postgres')
}

function page<T>(rows: T[], limit: number): Page<T> {
  return { rows: rows.slice(0, limit), hasNextPage: rows.length > limit }
}

/** A tokens row as node-postgres returns it from raw SQL: bigint columns arrive as strings, jsonb parsed. */
interface RawToken {
  id: string
  app_id: string
  subject: string | null
  name: string
  kind: 'OPAQUE' | 'JWT'
  scopes: string[]
  secret_hash: string | null
  created_at: string
  expires_at: string | null
  revoked_at: string | null
  revoke_reason: string | null
  last_used_at: string | null
  created_by: string | null
  parent_id: string | null
  kid: string | null
  bound_to: string | null
}

const msOrNull = (v: string | null): number | null => (v === null ? null : Number(v))

function tokenFromRow(r: RawToken): TokenRecord {
  return {
    id: r.id,
    appId: r.app_id,
    subject: r.subject,
    name: r.name,
    kind: r.kind,
    scopes: r.scopes,
    secretHash: r.secret_hash,
    createdAt: Number(r.created_at),
    expiresAt: msOrNull(r.expires_at),
    revokedAt: msOrNull(r.revoked_at),
    revokeReason: r.revoke_reason,
    lastUsedAt: msOrNull(r.last_used_at),
    createdBy: r.created_by,
    parentId: r.parent_id,
    kid: r.kid,
    boundTo: r.bound_to,
  }
}

/** The token filter as SQL text and $n parameters, in a fixed clause order so equal shapes share one prepared statement. */
function rawTokenFilter(f: TokenFilter): { where: string[]; params: (string | number)[] } {
  const params: (string | number)[] = []
  const where = tokenConditions(f, { bind: (value) => `$${params.push(value)}`, hasScope: (ph) => `scopes ? ${ph}` })
  return { where, params }
}
