// Who is calling a domain function. A closed union: every permission check switches on `kind` with an
// exhaustive `never` default, so a new kind of caller fails to compile until each check decides for it.
import { hostname, userInfo } from 'node:os'
import type { Principal, RequestInfo } from './context.js'

/** The command line: whoever holds the database, named `${os user}@${hostname}` in the audit log. */
export interface OperatorActor {
  readonly kind: 'operator'
  readonly name: string
}

/** A bearer token presented over HTTP, authenticated into its principal. */
export interface TokenActor {
  readonly kind: 'token'
  readonly principal: Principal
}

/** An app authenticated by one of its client secrets (the client_credentials grant). */
export interface ClientActor {
  readonly kind: 'client'
  readonly secretId: string
  readonly appId: string
}

export type Actor = OperatorActor | TokenActor | ClientActor

/** Who asks, and in which request: the one value every domain function that acts or audits takes. */
export interface Call<A extends Actor = Actor> {
  readonly actor: A
  readonly request: RequestInfo
}

/** Request facts of a call made outside any HTTP request (the command line, the server's own upkeep). */
export const NO_REQUEST: RequestInfo = { requestId: null, ip: null }

const CLIENT_SECRET_PREFIX = 'client_secret:'
const OPERATOR_PREFIX = 'operator:'

/** How a client secret is named where a token id would be (audit actor, `createdBy`): never confused with a token. */
export function clientSecretActor(id: string): string {
  return CLIENT_SECRET_PREFIX + id
}

/** The client secret id an actor label names, or null when it names a token or an operator. */
export function clientSecretOfActor(label: string | null): string | null {
  return label?.startsWith(CLIENT_SECRET_PREFIX) ? label.slice(CLIENT_SECRET_PREFIX.length) : null
}

/**
 * The audit log's `actor` column for `actor`, written only here: a token by its id (so filters by
 * token id keep working), a client secret as `client_secret:<id>`, an operator as `operator:<name>`.
 */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case 'token':
      return actor.principal.token.id
    case 'client':
      return clientSecretActor(actor.secretId)
    case 'operator':
      return OPERATOR_PREFIX + actor.name
    default:
      return unreachable(actor)
  }
}

/**
 * The operator running this process: `${os user}@${hostname}`. Built here once for every command-line
 * call site and for the server's own upkeep (the operator who started it). An account without a
 * passwd entry (some containers) is named by its uid.
 */
export function operatorActor(): OperatorActor {
  let user: string
  try {
    user = userInfo().username
  } catch {
    user = `uid ${process.getuid?.() ?? 'unknown'}`
  }
  return { kind: 'operator', name: `${user}@${hostname()}` }
}

/** A call by the operator of this process, outside any HTTP request. */
export function operatorCall(): Call<OperatorActor> {
  return { actor: operatorActor(), request: NO_REQUEST }
}

/** A call by an authenticated token in `request`. */
export function tokenCall(principal: Principal, request: RequestInfo): Call<TokenActor> {
  return { actor: { kind: 'token', principal }, request }
}

/** The exhaustiveness check of a switch on `Actor['kind']`: a kind left out fails to compile here. */
export function unreachable(actor: never): never {
  throw new Error(`unknown actor kind: ${JSON.stringify(actor)}`)
}
