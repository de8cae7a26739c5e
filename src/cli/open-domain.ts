import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { systemClock } from '../clock.js'
import { DEFAULTS, loadConfig } from '../config.js'
import { DEFAULT_POLICIES, type Domain } from '../domain/context.js'
import { ScopeCatalogue } from '../domain/scope-catalogue.js'
import { usageGaps } from '../domain/usage-tracker.js'
import { ScopewardError } from '../errors.js'
import { auditKeyOf } from '../store/audit-hash.js'
import { displayDb, openStore } from '../store/open-store.js'
import { redactSecrets } from '../text.js'
import { keyRingFor } from '../tokens/key-ring.js'
import { masterKeyBytes } from '../tokens/seal-private-key.js'
import type { CliIo } from './io.js'

/** A domain opened for one command, and how to close it. */
export interface OpenedDomain {
  domain: Domain
  /** The audit chain's key (from SCOPEWARD_MASTER_KEY), or null. */
  auditKey: Uint8Array | null
  /** The database as it may be printed (a PostgreSQL password redacted). */
  label: string
  /** Whether this open applied pending migrations (a new database counts). */
  migrated: boolean
  close(): Promise<void>
}

export interface OpenOptions {
  /** `--db`, else SCOPEWARD_DB, else the default path. */
  db?: string | undefined
  /** init, migrate: a missing SQLite file is created and an empty database accepted. Others refuse both, creating nothing. */
  create?: boolean
  /** Load the signing-key ring (keys list|rotate): it reads, and may need to unseal, every key. */
  keys?: boolean
}

/** The database a command addresses: `--db`, else SCOPEWARD_DB, else the default path. */
export function databaseOf(io: CliIo, db: string | undefined): string {
  return db ?? (io.env.SCOPEWARD_DB || DEFAULTS.db)
}

/**
 * The domain over a database for a one-shot command: migrated, and (unless `create`) initialised.
 * Without `create`, a SQLite path that does not exist is an error naming it, and nothing is created.
 * An unreachable database is an error naming it (password redacted), never a stack trace.
 */
export async function openDomain(io: CliIo, options: OpenOptions = {}): Promise<OpenedDomain> {
  const config = loadConfig({ db: databaseOf(io, options.db) }, io.env)
  const label = displayDb(config.db)
  const sqliteFile = !/^postgres(ql)?:\/\//.test(config.db) && config.db !== ':memory:'
  if (!options.create && sqliteFile && !existsSync(config.db)) {
    const full = resolve(config.db) === config.db ? '' : ` (${resolve(config.db)})`
    throw new ScopewardError('NOT_FOUND', `database ${label}${full} does not exist: check --db or SCOPEWARD_DB, or create it with \`scopeward init --db ${label}\``)
  }
  const auditKey = auditKeyOf(masterKeyBytes(config.masterKey))
  const store = await openStore(config.db, { auditKey })
  let migrated = false
  try {
    migrated = !(await store.ready())
    if (migrated) await store.migrate()
  } catch (error) {
    await store.close().catch(() => undefined)
    throw new ScopewardError('INTERNAL_SERVER_ERROR', `cannot open database ${label}: ${redactSecrets((error as Error).message ?? String(error))}`)
  }
  const catalogue = new ScopeCatalogue(store)
  await catalogue.refresh()
  if (!options.create && (await store.getMeta('initialized_at')) === null) {
    await store.close()
    throw new ScopewardError('BAD_USER_INPUT', `database ${label} is not initialised: run \`scopeward init --db ${label}\` first`)
  }
  const clock = systemClock
  const domain: Domain = {
    store,
    catalogue,
    clock,
    policies: { ...DEFAULT_POLICIES, maxTokenLifetimeMs: config.maxTokenLifetimeMs, maxJwtLifetimeMs: config.maxJwtLifetimeMs },
    // No usage is recorded by a command; reports still learn which windows a crashed server lost.
    usage: { flush: async () => undefined, gaps: () => usageGaps(store, clock()) },
  }
  if (options.keys) {
    const ring = keyRingFor(domain, config, masterKeyBytes(config.masterKey))
    try {
      await ring.refresh()
    } catch (error) {
      await store.close()
      throw error
    }
    domain.keys = ring
  }
  return { domain, auditKey, label, migrated, close: () => store.close() }
}

/** Runs `work` on an opened domain and closes it, whatever happens. */
export async function withDomain<T>(io: CliIo, options: OpenOptions, work: (opened: OpenedDomain) => Promise<T>): Promise<T> {
  const opened = await openDomain(io, options)
  try {
    return await work(opened)
  } finally {
    await opened.close()
  }
}
