// What each kind of caller may see and change. Every rule switches on the actor's kind exhaustively:
// the operator (the command line: whoever holds the database) may do anything; a token stays inside
// its boundary (context.ts); a client secret is the credential of the client_credentials grant only
// (client-credentials.ts), so through any other domain function it sees and changes nothing.
import { ScopewardError } from '../errors.js'
import type { AppRecord, TokenRecord } from './model.js'
import { clientSecretActor, unreachable, type Actor } from './actor.js'
import { canAdministerApp, canSeeApp, canSeeToken } from './context.js'

/** Whether the caller may see `token` (else it answers NOT_FOUND, as for a token that does not exist). */
export function maySeeToken(actor: Actor, token: TokenRecord): boolean {
  switch (actor.kind) {
    case 'operator':
      return true
    case 'token':
      return canSeeToken(actor.principal, token)
    case 'client':
      return false
    default:
      return unreachable(actor)
  }
}

/** Whether the caller may see `app` and issue tokens for it. */
export function maySeeApp(actor: Actor, app: AppRecord): boolean {
  switch (actor.kind) {
    case 'operator':
      return true
    case 'token':
      return canSeeApp(actor.principal, app)
    case 'client':
      return false
    default:
      return unreachable(actor)
  }
}

/** Whether the caller may change `app` itself (settings, client secrets); a token acting for a subject never may. */
export function mayAdministerApp(actor: Actor, app: AppRecord): boolean {
  switch (actor.kind) {
    case 'operator':
      return true
    case 'token':
      return canAdministerApp(actor.principal, app)
    case 'client':
      return false
    default:
      return unreachable(actor)
  }
}

/** Whether the caller acts across apps: the operator, or a token of the root app. */
export function actsAcrossApps(actor: Actor): boolean {
  switch (actor.kind) {
    case 'operator':
      return true
    case 'token':
      return actor.principal.app.isRoot
    case 'client':
      return false
    default:
      return unreachable(actor)
  }
}

/**
 * Refuses (FORBIDDEN, `refusal`) an instance-level change (apps, scopes, keys) to any caller but the
 * operator or a root-app token; with `what`, also to a token acting for a subject.
 */
export function assertInstanceAdmin(actor: Actor, refusal: string, what?: string): void {
  switch (actor.kind) {
    case 'operator':
      return
    case 'token':
      if (!actor.principal.app.isRoot) throw new ScopewardError('FORBIDDEN', refusal)
      if (what !== undefined && actor.principal.token.subject !== null) throw new ScopewardError('FORBIDDEN', `a token acting for a subject cannot ${what}`)
      return
    case 'client':
      throw new ScopewardError('FORBIDDEN', refusal)
    default:
      unreachable(actor)
  }
}

/** What a token's `createdBy` records for its issuer: a token's id, a client secret's label, nothing for the operator. */
export function createdByOf(actor: Actor): string | null {
  switch (actor.kind) {
    case 'operator':
      return null
    case 'token':
      return actor.principal.token.id
    case 'client':
      return clientSecretActor(actor.secretId)
    default:
      return unreachable(actor)
  }
}

/** The subject the caller acts for, which every token it issues inherits; null for the operator and clients. */
export function actorSubject(actor: Actor): string | null {
  switch (actor.kind) {
    case 'operator':
    case 'client':
      return null
    case 'token':
      return actor.principal.token.subject
    default:
      return unreachable(actor)
  }
}
