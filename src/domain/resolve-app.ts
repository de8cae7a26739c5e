import { ScopewardError, notFound } from '../errors.js'
import type { AppRecord } from './model.js'
import { visibleApp } from './apps.js'
import type { Actor } from './actor.js'
import type { Domain } from './context.js'
import { encodeCursor } from './pagination.js'
import { listApps } from './queries.js'

/**
 * The app `idOrName` names, for callers that address apps as people do: by id, else by name.
 * Names are not unique in the database, so a name several visible apps share is refused
 * (CONFLICT, listing their ids) rather than guessed; none is NOT_FOUND exactly as for a missing id.
 */
export async function resolveApp(domain: Domain, actor: Actor, idOrName: string): Promise<AppRecord> {
  try {
    return await visibleApp(domain, actor, idOrName)
  } catch (error) {
    if (!(error instanceof ScopewardError) || error.code !== 'NOT_FOUND') throw error
  }
  const matches: AppRecord[] = []
  let after: string | null = null
  for (;;) {
    const page = await listApps(domain, actor, { first: 100, after })
    matches.push(...page.rows.filter((app) => app.name === idOrName))
    const last = page.rows[page.rows.length - 1]
    if (!page.hasNextPage || !last) break
    after = encodeCursor(last)
  }
  const [only, ...others] = matches
  if (!only) throw notFound('app', idOrName)
  if (others.length > 0) {
    const ids = matches.map((app) => app.id)
    throw new ScopewardError('CONFLICT', `app name ${JSON.stringify(idOrName)} is shared by ${ids.length} apps (${ids.join(', ')}): use an id`, { details: { appIds: ids } })
  }
  return only
}
