import { ScopewardError, badInput } from '../errors.js'
import type { ScopeRecord } from './model.js'
import type { Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import { assertInstanceAdmin } from './permissions.js'
import { assertHeld, grantableScopes } from './grant.js'
import { assertScopeList, assertScopeName, normalizeScopes, wouldCycle } from './scope-rules.js'
import { requireText } from './validate.js'
import { callerGuard } from './write-guard.js'

export interface CreateScopeInput {
  name: string
  description: string
  implies?: readonly string[] | null | undefined
}

/**
 * Declares a scope (instance-wide, so root-app tokens only). What it implies must be declared,
 * keep the graph acyclic, and lie within what the caller could grant, or a new scope would be a ladder.
 */
export async function createScope(domain: Domain, call: Call, input: CreateScopeInput): Promise<ScopeRecord> {
  assertInstanceAdmin(call.actor, 'only tokens of the root app can declare scopes', 'declare scopes')
  assertScopeName(input.name, 'name')
  const taken = () => new ScopewardError('CONFLICT', `name: scope ${JSON.stringify(input.name)} already exists`, { field: 'name' })
  if (domain.catalogue.isDeclared(input.name)) throw taken()
  const implies = normalizeScopes(input.implies ?? [])
  assertScopeList(implies, domain.catalogue.implies, 'implies')
  if (wouldCycle(input.name, implies, domain.catalogue.implies)) throw badInput('implies', 'implies: the scope would imply itself')
  assertHeld(implies, grantableScopes(domain, call.actor), 'a new scope may only imply scopes the calling token holds', 'implies')
  const scope: ScopeRecord = { name: input.name, description: requireText(input.description, 'description', 500), implies, builtIn: false, createdAt: domain.clock() }
  // Checked again inside the write: a concurrent declaration of the same name (here or on another instance) is a CONFLICT too.
  const inserted = await domain.store.insertScope(
    scope,
    auditEvent(domain, call, { action: 'scope.create', target: scope.name, appId: null, details: { implies } }),
    callerGuard(domain, call.actor),
  )
  await domain.catalogue.refresh()
  if (!inserted) throw taken()
  return scope
}
