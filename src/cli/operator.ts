import { hostname, userInfo } from 'node:os'
import { CLI_REQUEST, type RequestInfo } from '../domain/context.js'

/**
 * Who the command line acts as, in the form the domain functions take it: spread into every domain
 * call (`issueToken(domain, ...operatorCall(), input)`), so changing the caller's shape is a change
 * here only. Today the domain reads a null principal as the command line (whoever holds the
 * database may act); the operator's name (`user@host`) is what the audit log will record as actor.
 */
export function operatorCall(): readonly [principal: null, request: RequestInfo] {
  return [null, CLI_REQUEST] as const
}

/**
 * The caller argument of the read-only domain functions (listTokens, visibleApp, ...), which take
 * no request: today null, the command line. Swapped together with operatorCall.
 */
export function operatorActor(): null {
  return null
}

/** The operator's name as the audit log records it: the OS user and host. */
export function operatorName(): string {
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {
    // No passwd entry (some containers): the host still says where the command ran.
  }
  return `${user}@${hostname()}`
}
