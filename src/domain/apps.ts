import { randomUUID } from 'node:crypto'
import { ScopewardError, badInput, notFound } from '../errors.js'
import type { AppChanges, AppRecord } from './model.js'
import type { Actor, Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import { actsAcrossApps, assertInstanceAdmin, mayAdministerApp, maySeeApp } from './permissions.js'
import { parseDuration } from './duration.js'
import { assertHeld, grantableScopes } from './grant.js'
import { assertScopeList, normalizeScopes } from './scope-rules.js'
import { optionalText, requireText } from './validate.js'
import { allOf, callerGuard, retryStale, unchangedApp } from './write-guard.js'
import { parseAppConstraints, type AppConstraintsInput } from './token-constraints.js'

export interface AppInput {
  name?: string | null | undefined
  description?: string | null | undefined
  allowedScopes?: readonly string[] | null | undefined
  maxTokenLifetime?: string | null | undefined
  /** Default and maximum constraints of its tokens (src/domain/token-constraints.ts); null removes them. */
  tokenConstraints?: AppConstraintsInput | null | undefined
  /** RFC 8707 resource URIs its JWTs may name as `aud`; replaces the list. */
  audiences?: readonly string[] | null | undefined
}

/** An app's ceiling may only hold scopes its creator could grant: setting a ceiling is never an escalation. */
function checkCeiling(domain: Domain, actor: Actor, scopes: readonly string[]): string[] {
  assertScopeList(scopes, domain.catalogue.implies, 'allowedScopes')
  assertHeld(scopes, grantableScopes(domain, actor), 'cannot allow scopes the calling token does not hold', 'allowedScopes')
  return normalizeScopes(scopes)
}

/** Creates an app. Only root-app tokens (or the command line) create apps: an app's tokens stay inside it. */
export async function createApp(domain: Domain, call: Call, input: AppInput): Promise<AppRecord> {
  assertInstanceAdmin(call.actor, 'only tokens of the root app can create apps', 'create apps')
  const app: AppRecord = {
    id: `app_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
    name: requireText(input.name, 'name'),
    description: optionalText(input.description, 'description'),
    allowedScopes: checkCeiling(domain, call.actor, input.allowedScopes ?? []),
    maxTokenLifetimeMs: input.maxTokenLifetime != null ? parseDuration(input.maxTokenLifetime, 'maxTokenLifetime') : null,
    isRoot: false,
    createdAt: domain.clock(),
    disabledAt: null,
    tokenConstraints: parseAppConstraints(input.tokenConstraints ?? null, null, true),
    audiences: checkAppAudiences(input.audiences ?? []),
  }
  const inserted = await domain.store.insertApp(
    app,
    auditEvent(domain, call, {
      action: 'app.create',
      target: app.id,
      appId: app.id,
      details: {
        name: app.name,
        allowedScopes: app.allowedScopes,
        maxTokenLifetimeMs: app.maxTokenLifetimeMs,
        audiences: app.audiences,
        ...(app.tokenConstraints ? { tokenConstraints: app.tokenConstraints } : {}),
      },
    }),
    callerGuard(domain, call.actor),
  )
  if (!inserted) throw nameTaken(app.name)
  return app
}

/** App names are unique (the console and the command line address apps by name): a taken one is a CONFLICT naming `name`. */
const nameTaken = (name: string): ScopewardError => new ScopewardError('CONFLICT', `name: an app named ${JSON.stringify(name)} already exists`, { field: 'name' })

/**
 * Changes an app's name, description, ceiling or maximum lifetime. The root app's ceiling is fixed.
 * Only the fields given are written (a concurrent disableApp or narrowing survives), and the write
 * re-checks the caller and the app as the decision read it, else the whole update is re-run.
 */
export async function updateApp(domain: Domain, call: Call, id: string, input: AppInput): Promise<AppRecord> {
  return retryStale(() => updateOnce(domain, call, id, input))
}

async function updateOnce(domain: Domain, call: Call, id: string, input: AppInput): Promise<AppRecord> {
  const app = await administeredApp(domain, call.actor, id)
  const changes: AppChanges = {}
  if (input.name !== undefined) changes.name = requireText(input.name, 'name')
  if (input.description !== undefined) changes.description = optionalText(input.description, 'description')
  if (input.allowedScopes != null) {
    if (app.isRoot) throw badInput('allowedScopes', 'allowedScopes: the root app allows every declared scope; its ceiling cannot be changed')
    changes.allowedScopes = checkCeiling(domain, call.actor, input.allowedScopes)
  }
  if (input.audiences != null) changes.audiences = checkAppAudiences(input.audiences)
  if (input.maxTokenLifetime !== undefined) {
    const requested = input.maxTokenLifetime === null ? null : parseDuration(input.maxTokenLifetime, 'maxTokenLifetime')
    // An app's own tokens may tighten its lifetime ceiling, never loosen or remove it: like the scope ceiling, it is set from above.
    if (!actsAcrossApps(call.actor) && app.maxTokenLifetimeMs !== null && (requested === null || requested > app.maxTokenLifetimeMs)) {
      throw new ScopewardError('FORBIDDEN', "only tokens of the root app can raise or remove an app's maxTokenLifetime", { field: 'maxTokenLifetime' })
    }
    changes.maxTokenLifetimeMs = requested
  }
  if (input.tokenConstraints !== undefined) changes.tokenConstraints = parseAppConstraints(input.tokenConstraints, app.tokenConstraints, actsAcrossApps(call.actor))
  const next: AppRecord = { ...app, ...changes }
  const audit = auditEvent(domain, call, { action: 'app.update', target: id, appId: id, details: { before: summary(app), after: summary(next) } })
  if (!(await domain.store.updateApp(id, changes, audit, allOf(callerGuard(domain, call.actor), unchangedApp(app))))) throw nameTaken(next.name)
  return next
}

/** Disables an app: every token of it fails from the next request on. The root app cannot be disabled. */
export async function disableApp(domain: Domain, call: Call, id: string): Promise<AppRecord> {
  return retryStale(async () => {
    const app = await administeredApp(domain, call.actor, id)
    if (app.isRoot) throw badInput('id', 'id: the root app cannot be disabled')
    if (app.disabledAt !== null) return app
    const changes = { disabledAt: domain.clock() }
    await domain.store.updateApp(id, changes, auditEvent(domain, call, { action: 'app.disable', target: id, appId: id }), allOf(callerGuard(domain, call.actor), unchangedApp(app)))
    return { ...app, ...changes }
  })
}

/** An app the caller may see, or NOT_FOUND exactly as for an app that does not exist. */
export async function visibleApp(domain: Domain, actor: Actor, id: string): Promise<AppRecord> {
  const app = await domain.store.getApp(id)
  if (!app || !maySeeApp(actor, app)) throw notFound('app', id)
  return app
}

/**
 * An app the caller may change, or NOT_FOUND exactly as for an app that does not exist: a token
 * acting for a subject changes no app, not even its own (the app is shared by all its subjects).
 */
export async function administeredApp(domain: Domain, actor: Actor, id: string): Promise<AppRecord> {
  const app = await domain.store.getApp(id)
  if (!app || !mayAdministerApp(actor, app)) throw notFound('app', id)
  return app
}

function summary(app: AppRecord): Record<string, unknown> {
  return {
    name: app.name,
    description: app.description,
    allowedScopes: app.allowedScopes,
    maxTokenLifetimeMs: app.maxTokenLifetimeMs,
    tokenConstraints: app.tokenConstraints,
    audiences: app.audiences,
  }
}

/** Most audiences an app declares, and the longest one. */
export const MAX_APP_AUDIENCES = 20
const MAX_AUDIENCE_LENGTH = 200

/**
 * An app's audiences, checked: each an absolute URI without a fragment (RFC 8707 §2: a resource
 * indicator), at most 200 characters, at most 20, duplicates dropped, in order.
 */
export function checkAppAudiences(audiences: readonly string[]): string[] {
  if (audiences.length > MAX_APP_AUDIENCES) throw badInput('audiences', `audiences: at most ${MAX_APP_AUDIENCES}`)
  audiences.forEach((audience, i) => {
    const field = `audiences[${i}]`
    if (audience.length === 0 || audience.length > MAX_AUDIENCE_LENGTH || !isResourceUri(audience))
      throw badInput(
        'audiences',
        `${field}: ${JSON.stringify(audience.slice(0, MAX_AUDIENCE_LENGTH))} is not an absolute URI without a fragment (RFC 8707), at most ${MAX_AUDIENCE_LENGTH} characters`,
      )
  })
  return [...new Set(audiences)]
}

function isResourceUri(value: string): boolean {
  if (value.includes('#') || /\s/.test(value)) return false
  try {
    return /^[a-z][a-z0-9+.-]*:/i.test(value) && new URL(value).protocol.length > 1
  } catch {
    return false
  }
}
