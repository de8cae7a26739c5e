import type { AddressInfo } from 'node:net'

/** Where JWTs come from and whom they are for: functions, because the issuer may be known only once the server listens. */
export interface TokenAuthority {
  /** `iss` of every JWT and the base of the metadata document. */
  issuer: () => string
  /** Scopeward's own resource URI, the default `aud`: the GraphQL endpoint. */
  audience: () => string
}

/**
 * The configured issuer (SCOPEWARD_ISSUER), or `http://host:port` of the listening socket. Behind a
 * proxy or on 0.0.0.0 the operator must set the issuer: clients compare it byte for byte (RFC 8414 §3.3).
 */
export function createTokenAuthority(configured: string | null, host: string, address: () => AddressInfo | null): TokenAuthority {
  const issuer = (): string => {
    if (configured !== null) return configured
    const port = address()?.port
    const name = host.includes(':') ? `[${host}]` : host
    return `http://${name}${port !== undefined ? `:${port}` : ''}`
  }
  return { issuer, audience: () => `${issuer()}/graphql` }
}
