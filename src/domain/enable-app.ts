import type { AppRecord } from './model.js'
import { administeredApp } from './apps.js'
import type { Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import { assertInstanceAdmin } from './permissions.js'
import { allOf, callerGuard, retryStale, unchangedApp } from './write-guard.js'

/**
 * Enables a disabled app, in one transaction with its audit event. Only root-app tokens without a
 * subject (or the command line) may: disabling is the kill switch, and an app's own tokens must not
 * undo it. Enabling an enabled app changes nothing and writes nothing. Only `disabledAt` is written,
 * and the write re-checks the caller and the app as the decision read them.
 */
export async function enableApp(domain: Domain, call: Call, id: string): Promise<AppRecord> {
  return retryStale(async () => {
    const app = await administeredApp(domain, call.actor, id)
    assertInstanceAdmin(call.actor, 'only tokens of the root app can enable apps')
    if (app.disabledAt === null) return app
    const changes = { disabledAt: null }
    await domain.store.updateApp(id, changes, auditEvent(domain, call, { action: 'app.enable', target: id, appId: id }), allOf(callerGuard(domain, call.actor), unchangedApp(app)))
    return { ...app, ...changes }
  })
}
