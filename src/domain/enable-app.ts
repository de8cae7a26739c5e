import { ScopewardError } from '../errors.js'
import type { AppRecord } from '../store/store.js'
import { visibleApp } from './apps.js'
import { auditEvent, type Domain, type Principal, type RequestInfo } from './context.js'

/**
 * Enables a disabled app, in one transaction with its audit event. Only root-app tokens (or the
 * command line) may: disabling is the kill switch, and an app's own tokens must not undo it.
 * Enabling an enabled app changes nothing and writes nothing.
 */
export async function enableApp(domain: Domain, principal: Principal | null, request: RequestInfo, id: string): Promise<AppRecord> {
  const app = await visibleApp(domain, principal, id)
  if (principal && !principal.app.isRoot) throw new ScopewardError('FORBIDDEN', 'only tokens of the root app can enable apps')
  if (app.disabledAt === null) return app
  const next = { ...app, disabledAt: null }
  await domain.store.updateApp(next, auditEvent(domain, principal, request, { action: 'app.enable', target: id, appId: id }))
  return next
}
