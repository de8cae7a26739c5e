import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { and, asc, count, desc, eq, gt, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { packageRoot } from '../package-root.js'
import { refuseMalformedText } from './refuse-malformed-text.js'
import { auditHash, auditHeadTag, GENESIS_HASH } from './audit-hash.js'
import { expiriesByKid, jwtExpiriesByKidSql, revokeJwtsOfKeysSql } from './signing-key-sql.js'
import { narrowFamily, type CloseScopes } from './narrow-family.js'
import * as t from './sqlite-schema.js'
import { isPlaintextKey, KEYS_SEALED_META, KeyWriteRefused, rotatedKey, type AppChanges, type GuardRows, type StoreChange, type WriteGuard } from './store.js'
import { auditConditions } from './audit-conditions.js'
import { revokeFamilySql, selectFamilySql } from './token-family-sql.js'
import { tokenConditions } from './token-conditions.js'
import type { AppRecord, AuditEventInput, AuditFilter, AuditEventRecord, ClientSecretRecord, Page, Position, ScopeRecord, ScopeUsage, SigningKeyRecord, Store, TokenFilter, TokenRecord } from './store.js'

type Db = BetterSQLite3Database<typeof t>
type PendingWrite = { fn: (tx: Db) => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }

/**
 * The embedded store: one better-sqlite3 connection in WAL mode with foreign keys on.
 * better-sqlite3 is synchronous, so each method runs to completion (and each transaction
 * commits) before its promise resolves; no two transactions ever interleave.
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const
  readonly #sqlite: Database.Database
  readonly #db: Db
  #statements: ReturnType<typeof prepareStatements> | undefined
  readonly #listeners: ((change: StoreChange) => void)[] = []
  #pending: PendingWrite[] = []
  /** Raw prepared statements by SQL text (see #raw). */
  readonly #listStatements = new Map<string, Database.Statement>()
  /** The audit chain's MAC key (from the master key), or null: plain SHA-256 links. */
  readonly #auditKey: Uint8Array | null

  constructor(path: string, options: { auditKey?: Uint8Array | null } = {}) {
    this.#auditKey = options.auditKey ?? null
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    this.#sqlite = new Database(path)
    this.#sqlite.pragma('journal_mode = WAL')
    // FULL: a revocation acknowledged to a client survives power loss, not only a process crash (WAL + NORMAL may lose the last commits).
    this.#sqlite.pragma('synchronous = FULL')
    this.#sqlite.pragma('foreign_keys = ON')
    this.#sqlite.pragma('busy_timeout = 5000')
    // Freed space is zeroed: a private key sealed or wiped in place leaves no plaintext in free pages (see #scrub).
    this.#sqlite.pragma('secure_delete = ON')
    this.#db = drizzle(this.#sqlite, { schema: t })
    return refuseMalformedText(this)
  }

  /** Prepared once, after migrations have created the tables they read. */
  get #prepared(): ReturnType<typeof prepareStatements> {
    this.#statements ??= prepareStatements(this.#db)
    return this.#statements
  }

  /**
   * A raw prepared statement returning rows as arrays, cached by its SQL text: on the hot path the
   * query builder and better-sqlite3's row objects cost more than the query (bench/micro-list.ts).
   */
  #raw(text: string): Database.Statement {
    let statement = this.#listStatements.get(text)
    if (!statement) {
      statement = this.#sqlite.prepare(text).raw(true)
      this.#listStatements.set(text, statement)
    }
    return statement
  }

  /**
   * Group commit: writes requested in the same turn of the event loop run in one SQLite
   * transaction, each in a savepoint of its own (a failing write rolls back only itself), so N
   * concurrent writes cost one fsync instead of N. Each promise settles after the commit, so an
   * acknowledged write is durable exactly as with a transaction of its own.
   */
  #write<T>(fn: (tx: Db) => T, guard?: WriteGuard): Promise<T> {
    const guarded = guard
      ? (tx: Db): T => {
          guard.check(this.#guardRows(tx, guard))
          return fn(tx)
        }
      : fn
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn: guarded, resolve, reject } as PendingWrite)
      if (this.#pending.length === 1) setImmediate(() => this.#commit())
    })
  }

  #commit(): void {
    const batch = this.#pending
    this.#pending = []
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = []
    try {
      // IMMEDIATE: the write lock is taken (waiting up to busy_timeout for another process, such as
      // the command line) before anything is read, so no read inside can go stale before the write.
      this.#db.transaction((tx) => {
        for (const write of batch) {
          try {
            outcomes.push({ ok: true, value: tx.transaction((savepoint) => write.fn(savepoint as unknown as Db)) })
          } catch (error) {
            outcomes.push({ ok: false, error })
          }
        }
      }, { behavior: 'immediate' })
    } catch (error) {
      for (const write of batch) write.reject(error)
      return
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i] as (typeof outcomes)[number]
      if (outcome.ok) write.resolve(outcome.value)
      else write.reject(outcome.error)
    })
  }

  /** The rows a guard names, read inside the write transaction (which, being IMMEDIATE, holds the write lock). */
  #guardRows(tx: Db, guard: WriteGuard): GuardRows {
    const tokens = new Map<string, TokenRecord>()
    for (const id of guard.tokens ?? []) {
      const row = this.#raw(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`).get(id) as unknown[] | undefined
      if (row) tokens.set(id, tokenFromRow(row))
    }
    const apps = new Map<string, AppRecord>()
    for (const id of guard.apps ?? []) {
      const row = this.#raw(APP_BY_ID).get(id) as unknown[] | undefined
      if (row) apps.set(id, appFromRow(row))
    }
    const some = <T>(ids: readonly string[] | undefined, read: (ids: string[]) => T[], key: (row: T) => string): Map<string, T> =>
      new Map(ids?.length ? read([...ids]).map((row) => [key(row), row]) : [])
    return {
      tokens,
      apps,
      clientSecrets: some(guard.clientSecrets, (ids) => tx.select().from(t.clientSecrets).where(inArray(t.clientSecrets.id, ids)).all(), (r) => r.id),
      signingKeys: some(guard.signingKeys, (ids) => tx.select().from(t.signingKeys).where(inArray(t.signingKeys.kid, ids)).all(), (r) => r.kid),
      meta: new Map((guard.meta?.length ? tx.select().from(t.meta).where(inArray(t.meta.key, [...guard.meta])).all() : []).map((r) => [r.key, r.value])),
    }
  }

  subscribe(listener: (change: StoreChange) => void): void {
    this.#listeners.push(listener)
  }

  /** Tells subscribers about a committed change (only other processes' writes go unheard: SQLite has one writer per file here). */
  #changed(change: StoreChange): void {
    for (const listener of this.#listeners) listener(change)
  }

  async migrate(): Promise<void> {
    migrate(this.#db, { migrationsFolder: migrationsFolder() })
  }

  async ready(): Promise<boolean> {
    try {
      const journal = JSON.parse(readFileSync(join(migrationsFolder(), 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
      const row = this.#sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }
      return row.n === journal.entries.length
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    if (this.#pending.length > 0) this.#commit()
    if (this.#sqlite.open) this.#sqlite.close()
  }

  /** The raw connection, for tests and tools that inspect the file. */
  get sqlite(): Database.Database {
    return this.#sqlite
  }

  async getMeta(key: string): Promise<string | null> {
    return this.#db.select().from(t.meta).where(eq(t.meta.key, key)).get()?.value ?? null
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.#write((tx) => tx.insert(t.meta).values({ key, value }).onConflictDoUpdate({ target: t.meta.key, set: { value } }).run())
  }

  async deleteMeta(key: string): Promise<void> {
    await this.#write((tx) => tx.delete(t.meta).where(eq(t.meta.key, key)).run())
  }

  async listMeta(prefix: string): Promise<{ key: string; value: string }[]> {
    return this.#db.select().from(t.meta).where(sql`substr(${t.meta.key}, 1, ${prefix.length}) = ${prefix}`).all()
  }

  async initialize(seed: { scopes: ScopeRecord[]; rootApp: AppRecord; rootToken: TokenRecord; audit: AuditEventInput }): Promise<boolean> {
    return this.#write((tx) => {
      if (tx.select().from(t.meta).where(eq(t.meta.key, 'initialized_at')).get()) return false
      tx.insert(t.scopes).values(seed.scopes).run()
      tx.insert(t.apps).values(seed.rootApp).run()
      tx.insert(t.tokens).values(seed.rootToken).run()
      tx.insert(t.meta).values({ key: 'initialized_at', value: String(seed.audit.at) }).run()
      this.#audit(tx, seed.audit)
      return true
    })
  }

  async listScopes(): Promise<ScopeRecord[]> {
    return this.#db.select().from(t.scopes).orderBy(asc(t.scopes.name)).all()
  }

  async insertScope(scope: ScopeRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
    const inserted = await this.#write((tx) => {
      if (tx.select({ name: t.scopes.name }).from(t.scopes).where(eq(t.scopes.name, scope.name)).get()) return false
      tx.insert(t.scopes).values(scope).run()
      for (const root of tx.select().from(t.apps).where(eq(t.apps.isRoot, true)).all()) {
        tx.update(t.apps).set({ allowedScopes: [...root.allowedScopes, scope.name].sort() }).where(eq(t.apps.id, root.id)).run()
      }
      this.#audit(tx, audit)
      return true
    }, guard)
    if (inserted) this.#changed({ kind: 'scopes' })
    return inserted
  }

  async getApp(id: string): Promise<AppRecord | null> {
    const row = this.#raw(APP_BY_ID).get(id) as unknown[] | undefined
    return row ? appFromRow(row) : null
  }

  async listApps(options: { appId?: string | undefined; after?: Position | undefined; limit: number }): Promise<Page<AppRecord>> {
    const conditions = [options.appId !== undefined ? eq(t.apps.id, options.appId) : undefined, after(t.apps, options.after)]
    const rows = this.#db.select().from(t.apps).where(and(...conditions)).orderBy(asc(t.apps.createdAt), asc(t.apps.id)).limit(options.limit + 1).all()
    return page(rows, options.limit)
  }

  async countApps(options: { appId?: string | undefined }): Promise<number> {
    const where = options.appId !== undefined ? eq(t.apps.id, options.appId) : undefined
    return this.#db.select({ n: count() }).from(t.apps).where(where).get()?.n ?? 0
  }

  async insertApp(app: AppRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    await this.#write((tx) => {
      tx.insert(t.apps).values(app).run()
      this.#audit(tx, audit)
    }, guard)
  }

  async updateApp(id: string, changes: AppChanges, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    await this.#write((tx) => {
      if (Object.keys(changes).length > 0) tx.update(t.apps).set(changes).where(eq(t.apps.id, id)).run()
      this.#audit(tx, audit)
    }, guard)
    this.#changed({ kind: 'app', id })
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    const row = this.#raw(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`).get(id) as unknown[] | undefined
    return row ? tokenFromRow(row) : null
  }

  async listTokens(filter: TokenFilter, options: { after?: Position | undefined; limit: number }): Promise<Page<TokenRecord>> {
    const { where, params } = rawTokenFilter(filter)
    if (options.after) {
      // A row-value comparison lets SQLite seek the (created_at, id) index: a page deep in the list costs what the first does.
      where.push('(created_at, id) > (?, ?)')
      params.push(options.after.createdAt, options.after.id)
    }
    const text = `SELECT ${TOKEN_COLUMNS} FROM tokens ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id LIMIT ?`
    const rows = (this.#raw(text).all(...params, options.limit + 1) as unknown[][]).map(tokenFromRow)
    return page(rows, options.limit)
  }

  async countTokens(filter: TokenFilter): Promise<number> {
    const { where, params } = rawTokenFilter(filter)
    const row = this.#raw(`SELECT count(*) FROM tokens ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`).get(...params) as [number]
    return row[0]
  }

  async insertToken(token: TokenRecord, audit: AuditEventInput, activeParentAt?: number, guard?: WriteGuard): Promise<boolean> {
    return this.#write((tx) => {
      // A derived token's parent, or the issuer a bound token lives by, must still be active.
      const livesBy = token.parentId ?? token.boundTo
      if (activeParentAt !== undefined && livesBy !== null) {
        const parent = tx.select().from(t.tokens).where(eq(t.tokens.id, livesBy)).get()
        if (!parent || parent.revokedAt !== null || (parent.expiresAt !== null && parent.expiresAt <= activeParentAt)) return false
      }
      tx.insert(t.tokens).values(token).run()
      this.#audit(tx, audit)
      return true
    }, guard)
  }

  async revokeTokenCascade(id: string, at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]> {
    return this.revokeTokensCascade([id], at, reason, audit, guard)
  }

  async rotateToken(oldId: string, successor: TokenRecord, oldEnd: { expiresAt: number | null } | { revokedAt: number; revokeReason: string }, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    await this.#write((tx) => {
      tx.insert(t.tokens).values(successor).run()
      tx.update(t.tokens).set({ parentId: successor.id }).where(eq(t.tokens.parentId, oldId)).run()
      tx.update(t.tokens).set({ boundTo: successor.id }).where(eq(t.tokens.boundTo, oldId)).run()
      tx.update(t.tokens).set(oldEnd).where(eq(t.tokens.id, oldId)).run()
      tx.insert(t.meta).values({ key: rotatedKey(oldId), value: successor.id }).run()
      this.#audit(tx, audit)
    }, guard)
    this.#changed({ kind: 'token', ids: [oldId] })
  }

  async listAuditEvents(options: AuditFilter & { after?: number | undefined; limit: number }): Promise<Page<AuditEventRecord>> {
    const where = and(auditConditions(t.auditEvents, options), options.after !== undefined ? gt(t.auditEvents.seq, options.after) : undefined)
    const rows = this.#db.select().from(t.auditEvents).where(where).orderBy(asc(t.auditEvents.seq)).limit(options.limit + 1).all()
    return page(rows, options.limit)
  }

  async countAuditEvents(options: AuditFilter): Promise<number> {
    return this.#db.select({ n: count() }).from(t.auditEvents).where(auditConditions(t.auditEvents, options)).get()?.n ?? 0
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.#db.select().from(t.signingKeys).orderBy(asc(t.signingKeys.createdAt), asc(t.signingKeys.kid)).all()
  }

  async insertSigningKey(key: SigningKeyRecord, retireAfter: number, audit: AuditEventInput, emergency?: { at: number; reason: string }, guard?: WriteGuard): Promise<string[]> {
    const revoked = await this.#write((tx) => {
      if (isPlaintextKey(key.privateKey) && tx.select().from(t.meta).where(eq(t.meta.key, KEYS_SEALED_META)).get()) {
        throw new KeyWriteRefused('the signing keys of this database are sealed under a master key: set SCOPEWARD_MASTER_KEY to write a new one')
      }
      let ids: string[] = []
      let event = audit
      if (emergency) {
        const old = tx.select({ kid: t.signingKeys.kid }).from(t.signingKeys).where(ne(t.signingKeys.status, 'RETIRED')).all().map((r) => r.kid)
        tx.update(t.signingKeys).set({ status: 'RETIRED', privateKey: '' }).where(ne(t.signingKeys.status, 'RETIRED')).run()
        ids = tx.all<{ id: string }>(revokeJwtsOfKeysSql(old, emergency.at, emergency.reason)).map((r) => r.id)
        event = { ...audit, details: { ...audit.details, retired: old, revoked: ids } }
      } else {
        tx.update(t.signingKeys).set({ status: 'RETIRING', retireAfter }).where(eq(t.signingKeys.status, 'ACTIVE')).run()
      }
      tx.insert(t.signingKeys).values(key).run()
      if (!isPlaintextKey(key.privateKey)) this.#markSealed(tx)
      this.#audit(tx, event)
      return ids
    }, guard)
    this.#changed(revoked.length > 0 ? { kind: 'all' } : { kind: 'keys' })
    return revoked
  }

  async retireSigningKeys(kids: string[], audit: AuditEventInput): Promise<void> {
    if (kids.length === 0) return
    await this.#write((tx) => {
      tx.update(t.signingKeys)
        .set({ status: 'RETIRED', privateKey: '' })
        .where(and(inArray(t.signingKeys.kid, kids), or(eq(t.signingKeys.status, 'RETIRING'), and(eq(t.signingKeys.status, 'RETIRED'), ne(t.signingKeys.privateKey, '')))))
        .run()
      this.#audit(tx, audit)
    })
    this.#scrub()
    this.#changed({ kind: 'keys' })
  }

  async sealSigningKeys(sealed: { kid: string; privateKey: string }[], audit: AuditEventInput): Promise<void> {
    await this.#write((tx) => {
      let changed = 0
      for (const { kid, privateKey } of sealed) {
        changed += tx.update(t.signingKeys).set({ privateKey }).where(and(eq(t.signingKeys.kid, kid), sql`${t.signingKeys.privateKey} LIKE '{%'`)).run().changes
      }
      this.#markSealed(tx)
      if (changed > 0) this.#audit(tx, audit)
    })
    this.#scrub()
    this.#changed({ kind: 'keys' })
  }

  /** Checkpoints and truncates the WAL, whose older frames still hold the page versions before a key was sealed or wiped. */
  #scrub(): void {
    this.#sqlite.pragma('wal_checkpoint(TRUNCATE)')
  }

  #markSealed(tx: Pick<Db, 'insert'>): void {
    tx.insert(t.meta).values({ key: KEYS_SEALED_META, value: '1' }).onConflictDoNothing().run()
  }

  async jwtExpiriesByKid(now: number, maxLifetimeMs: number): Promise<Map<string | null, number>> {
    return expiriesByKid(this.#db.all<{ kid: string | null; until: number | null }>(jwtExpiriesByKidSql(now, maxLifetimeMs)))
  }

  async insertClientSecret(secret: ClientSecretRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    await this.#write((tx) => {
      tx.insert(t.clientSecrets).values(secret).run()
      this.#audit(tx, audit)
    }, guard)
  }

  async getClientSecret(id: string): Promise<ClientSecretRecord | null> {
    return this.#db.select().from(t.clientSecrets).where(eq(t.clientSecrets.id, id)).get() ?? null
  }

  async listClientSecrets(appId: string): Promise<ClientSecretRecord[]> {
    return this.#db.select().from(t.clientSecrets).where(eq(t.clientSecrets.appId, appId)).orderBy(asc(t.clientSecrets.createdAt), asc(t.clientSecrets.id)).all()
  }

  async revokeClientSecret(id: string, at: number, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
    return this.#write((tx) => {
      const changed = tx.update(t.clientSecrets).set({ revokedAt: at }).where(and(eq(t.clientSecrets.id, id), isNull(t.clientSecrets.revokedAt))).run().changes
      if (changed === 0) return false
      this.#audit(tx, audit)
      return true
    }, guard)
  }

  async recordUsage(usage: ScopeUsage[], needs: ScopeUsage[] = []): Promise<void> {
    if (usage.length === 0 && needs.length === 0) return
    await this.#write((tx) => {
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
        if (u.scope !== '') tx.insert(t.tokenScopeUsage)
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
  }

  async listNeeds(tokenIds: readonly string[]): Promise<ScopeUsage[]> {
    if (tokenIds.length === 0) return []
    return this.#db.select().from(t.tokenScopeNeeds).where(inArray(t.tokenScopeNeeds.tokenId, [...tokenIds])).all()
  }

  async listTokenFamily(id: string): Promise<{ id: string; parentId: string | null }[]> {
    return this.#db.all<{ id: string; parent_id: string | null }>(selectFamilySql(id)).map((r) => ({ id: r.id, parentId: r.parent_id }))
  }

  async getUsage(tokenId: string): Promise<ScopeUsage[]> {
    return this.#db.select().from(t.tokenScopeUsage).where(eq(t.tokenScopeUsage.tokenId, tokenId)).orderBy(asc(t.tokenScopeUsage.scope)).all()
  }

  // Batch reads: the ids travel as one JSON array (json_each), so each is one cached statement whatever the count.
  async getTokens(ids: readonly string[]): Promise<TokenRecord[]> {
    if (ids.length === 0) return []
    return (this.#raw(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as unknown[][]).map(tokenFromRow)
  }

  async getApps(ids: readonly string[]): Promise<AppRecord[]> {
    if (ids.length === 0) return []
    return (this.#raw(APPS_BY_IDS).all(JSON.stringify(ids)) as unknown[][]).map(appFromRow)
  }

  async listChildTokens(parentIds: readonly string[]): Promise<TokenRecord[]> {
    if (parentIds.length === 0) return []
    return (this.#raw(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE parent_id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(parentIds)) as unknown[][]).map(tokenFromRow)
  }

  async listUsage(tokenIds: readonly string[]): Promise<ScopeUsage[]> {
    if (tokenIds.length === 0) return []
    return this.#db.select().from(t.tokenScopeUsage).where(inArray(t.tokenScopeUsage.tokenId, [...tokenIds])).all()
  }

  async narrowTokenScopes(id: string, scopes: string[], audit: AuditEventInput, close?: CloseScopes, guard?: WriteGuard): Promise<{ id: string; scopes: string[] }[]> {
    const narrowed = await this.#write((tx) => {
      const family = tx.all<{ id: string; parent_id: string | null; scopes: string }>(selectFamilySql(id))
      const changed = narrowFamily(family.map((r) => ({ id: r.id, parentId: r.parent_id, scopes: JSON.parse(r.scopes) as string[] })), id, scopes, close)
      for (const c of changed) tx.update(t.tokens).set({ scopes: c.scopes }).where(eq(t.tokens.id, c.id)).run()
      this.#audit(tx, { ...audit, details: { ...audit.details, changed } })
      return changed
    }, guard)
    if (narrowed.length > 0) this.#changed({ kind: 'token', ids: narrowed.map((c) => c.id) })
    return narrowed
  }

  async revokeTokensCascade(ids: readonly string[], at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]> {
    const revokedNow = await this.#write((tx) => {
      const revoked: string[] = []
      for (const id of ids) revoked.push(...this.#revokeFamily(tx, id, at, reason))
      this.#audit(tx, { ...audit, details: { ...audit.details, revoked } })
      return revoked
    }, guard)
    if (revokedNow.length > 0) this.#changed({ kind: 'token', ids: revokedNow })
    return revokedNow
  }

  #revokeFamily(tx: Pick<Db, 'all'>, id: string, at: number, reason: string | null): string[] {
    return tx.all<{ id: string }>(revokeFamilySql(id, at, reason)).map((r) => r.id)
  }

  /** Appends an audit event chained to the last one; called inside the transaction of the change it records. */
  #audit(tx: Pick<Db, 'insert'>, event: AuditEventInput): void {
    const previous = this.#prepared.lastAuditHash.get()?.hash ?? GENESIS_HASH
    const hash = auditHash(previous, event, this.#auditKey)
    tx.insert(t.auditEvents).values({ ...event, hash }).run()
    // The head is kept beside the chain so that deleting the newest events is detected too; with a key, under a MAC.
    tx.insert(t.meta).values({ key: 'audit_head', value: hash }).onConflictDoUpdate({ target: t.meta.key, set: { value: hash } }).run()
    if (this.#auditKey) {
      const tag = auditHeadTag(this.#auditKey, hash)
      tx.insert(t.meta).values({ key: 'audit_head_tag', value: tag }).onConflictDoUpdate({ target: t.meta.key, set: { value: tag } }).run()
    }
  }
}

function prepareStatements(db: Db) {
  return {
    lastAuditHash: db.select({ hash: t.auditEvents.hash }).from(t.auditEvents).orderBy(desc(t.auditEvents.seq)).limit(1).prepare(),
  }
}

function migrationsFolder(): string {
  return join(packageRoot(), 'drizzle', 'sqlite')
}

function after(table: typeof t.tokens | typeof t.apps, position: Position | undefined): SQL | undefined {
  if (!position) return undefined
  return or(gt(table.createdAt, position.createdAt), and(eq(table.createdAt, position.createdAt), gt(table.id, position.id)))
}

function page<T>(rows: T[], limit: number): Page<T> {
  return { rows: rows.slice(0, limit), hasNextPage: rows.length > limit }
}

const APP_BY_ID = 'SELECT id, name, description, allowed_scopes, max_token_lifetime_ms, is_root, created_at, disabled_at FROM apps WHERE id = ?'
const APPS_BY_IDS = 'SELECT id, name, description, allowed_scopes, max_token_lifetime_ms, is_root, created_at, disabled_at FROM apps WHERE id IN (SELECT value FROM json_each(?))'

/** An apps row in raw (array) mode, columns as APP_BY_ID selects them. */
function appFromRow(r: unknown[]): AppRecord {
  return {
    id: r[0] as string,
    name: r[1] as string,
    description: r[2] as string | null,
    allowedScopes: JSON.parse(r[3] as string) as string[],
    maxTokenLifetimeMs: r[4] as number | null,
    isRoot: r[5] === 1,
    createdAt: r[6] as number,
    disabledAt: r[7] as number | null,
  }
}

/** The columns tokenFromRow reads, in its order. */
const TOKEN_COLUMNS = 'id, app_id, subject, name, kind, scopes, secret_hash, created_at, expires_at, revoked_at, revoke_reason, last_used_at, created_by, parent_id, kid, bound_to'

/** A tokens row selected with TOKEN_COLUMNS in raw (array) mode. */
function tokenFromRow(r: unknown[]): TokenRecord {
  return {
    id: r[0] as string,
    appId: r[1] as string,
    subject: r[2] as string | null,
    name: r[3] as string,
    kind: r[4] as TokenRecord['kind'],
    scopes: JSON.parse(r[5] as string) as string[],
    secretHash: r[6] as string | null,
    createdAt: r[7] as number,
    expiresAt: r[8] as number | null,
    revokedAt: r[9] as number | null,
    revokeReason: r[10] as string | null,
    lastUsedAt: r[11] as number | null,
    createdBy: r[12] as string | null,
    parentId: r[13] as string | null,
    kid: r[14] as string | null,
    boundTo: r[15] as string | null,
  }
}

/** The token filter as SQL text and parameters (`?` placeholders, `json_each` for scopes). */
function rawTokenFilter(f: TokenFilter): { where: string[]; params: (string | number)[] } {
  const params: (string | number)[] = []
  const where = tokenConditions(f, {
    bind: (value) => (params.push(value), '?'),
    hasScope: (ph) => `EXISTS (SELECT 1 FROM json_each(tokens.scopes) WHERE json_each.value = ${ph})`,
  })
  return { where, params }
}
