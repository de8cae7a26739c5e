import { systemClock } from '../clock.js'
import { loadConfig } from '../config.js'
import { DEFAULT_POLICIES, type Domain } from '../domain/context.js'
import { ScopeCatalogue } from '../domain/scope-catalogue.js'
import { ScopewardError } from '../errors.js'
import { auditKeyOf } from '../store/audit-hash.js'
import { displayDb, openStore } from '../store/open-store.js'
import { masterKeyBytes } from '../tokens/seal-private-key.js'

/** The domain over a database for a one-shot command: migrated, and (unless `allowEmpty`) initialised. */
export async function openDomain(db: string | undefined, options: { allowEmpty?: boolean } = {}): Promise<Domain> {
  const config = loadConfig(db ? { db } : {})
  const store = await openStore(config.db, { auditKey: auditKeyOf(masterKeyBytes(config.masterKey)) })
  await store.migrate()
  const catalogue = new ScopeCatalogue(store)
  await catalogue.refresh()
  if (!options.allowEmpty && (await store.getMeta('initialized_at')) === null) {
    await store.close()
    throw new ScopewardError('BAD_USER_INPUT', `database ${displayDb(config.db)} is not initialised: run \`scopeward init --db ${displayDb(config.db)}\` first`)
  }
  return { store, catalogue, clock: systemClock, policies: { ...DEFAULT_POLICIES, maxTokenLifetimeMs: config.maxTokenLifetimeMs, maxJwtLifetimeMs: config.maxJwtLifetimeMs } }
}
