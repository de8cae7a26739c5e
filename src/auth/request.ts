/**
 * What an authentication policy may know about the request a token came with. A plain interface,
 * not a framework's request type: the HTTP layer builds it (from node's or Fastify's request), the
 * CLI and benchmarks build one by hand.
 */
export interface AuthRequest {
  /** The client's address after trusted-proxy resolution; null when unknown (a test, the CLI). */
  readonly ip: string | null
  readonly requestId: string | null
  readonly method: string
  /** The path without the query string, e.g. `/graphql`. */
  readonly path: string
}

/**
 * In what role the token was presented: the caller's own credential (`bearer`), an RFC 8693
 * `subject_token` or `actor_token`, or the object of introspection or revocation, whose request
 * comes from someone else. A request policy decides per use (an IP allowlist guards the token's
 * holder, not whoever introspects it).
 */
export type TokenUse = 'bearer' | 'subject_token' | 'actor_token' | 'introspected' | 'revoked'

/** A request that did not come over HTTP (the command line, a benchmark, a test). */
export function localRequest(path: string): AuthRequest {
  return { ip: null, requestId: null, method: 'LOCAL', path }
}
