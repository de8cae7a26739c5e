import { visibleApp } from '../domain/apps.js'
import type { Domain } from '../domain/context.js'
import { currentStatus } from '../domain/token-status.js'
import type { AppRecord, TokenRecord } from './model.js'
import { operatorActor } from './operator.js'
import { tokenJson, type AppRef, type TokenJson } from './present.js'

/** Apps by id, each read once per command: a list of a thousand tokens of three apps reads three apps. */
export function appCache(domain: Domain): (id: string) => Promise<AppRecord | null> {
  const apps = new Map<string, Promise<AppRecord | null>>()
  return (id) => {
    let app = apps.get(id)
    if (!app) {
      app = visibleApp(domain, operatorActor(), id).catch(() => null)
      apps.set(id, app)
    }
    return app
  }
}

/** A token as `--json` prints it, with its app's name and its status under the policies in force (as the API shows it). */
export async function presentToken(domain: Domain, token: TokenRecord, apps: (id: string) => Promise<AppRecord | null>): Promise<TokenJson> {
  const app = await apps(token.appId)
  const status = await currentStatus(domain, token, { app: apps })
  const ref: AppRef | null = app ? { id: app.id, name: app.name } : null
  return tokenJson(token, status, ref)
}
