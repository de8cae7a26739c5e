import { composeCommandDomain } from '../compose.js'
import { loadConfig } from '../config.js'
import type { Domain } from '../domain/context.js'

/**
 * The domain over a database for a one-shot command (src/compose.ts): migrated, and (unless
 * `allowEmpty`) initialised; `keys` loads the signing-key ring for the commands that manage it.
 */
export async function openDomain(db: string | undefined, options: { allowEmpty?: boolean; keys?: boolean } = {}): Promise<Domain> {
  return composeCommandDomain(loadConfig(db ? { db } : {}), options)
}
