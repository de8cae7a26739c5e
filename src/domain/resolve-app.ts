import { ScopewardError, notFound } from '../errors.js'
import type { AppRecord } from './model.js'
import { visibleApp } from './apps.js'
import type { Actor } from './actor.js'
import type { Domain } from './context.js'
import { encodeCursor } from './pagination.js'
import { listApps } from './queries.js'

/**
 * The app `idOrName` names, for callers that address apps as people do: by id, else by name.
 * App names are unique (createApp and updateApp refuse a taken one; the index apps_name_unique
 * holds it in the database); an unknown name is NOT_FOUND exactly as for a missing id.
 */
export async function resolveApp(domain: Domain, actor: Actor, idOrName: string): Promise<AppRecord> {
  try {
    return await visibleApp(domain, actor, idOrName)
  } catch (error) {
    if (!(error instanceof ScopewardError) || error.code !== 'NOT_FOUND') throw error
  }
  let after: string | null = null
  for (;;) {
    const page = await listApps(domain, actor, { first: 100, after })
    const named = page.rows.find((app) => app.name === idOrName)
    if (named) return named
    const last = page.rows[page.rows.length - 1]
    if (!page.hasNextPage || !last) throw notFound('app', idOrName)
    after = encodeCursor(last)
  }
}
