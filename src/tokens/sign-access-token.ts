import { SignJWT } from 'jose'
import type { JwtIssuer } from '../domain/context.js'
import type { TokenRecord } from '../domain/model.js'
import type { KeyRing } from './key-ring.js'
import type { TokenAuthority } from './token-authority.js'

/** RFC 9068 §2.1: the media type that keeps an access token from passing for an ID token or any other JWT. */
export const ACCESS_TOKEN_TYP = 'at+jwt'

/**
 * Signs an RFC 9068 access token for a token row with the ring's ACTIVE key: `jti` is the row's
 * id, so Scopeward checks revocation on every use; `sub` is the subject, or the app for a client.
 */
export function createJwtIssuer(ring: KeyRing, authority: TokenAuthority): JwtIssuer {
  return {
    signingKid: () => ring.activeKey().kid,
    async sign(token: TokenRecord, options): Promise<string> {
      if (token.expiresAt === null) throw new Error('a JWT access token must expire')
      if (token.kid === null) throw new Error('a JWT access token row must name its signing key')
      const { kid, alg, key } = ring.signingKey(token.kid)
      const iat = Math.floor(token.createdAt / 1000)
      return new SignJWT({ client_id: token.appId, scope: token.scopes.join(' '), ...(options.act ? { act: options.act } : {}) })
        .setProtectedHeader({ alg, typ: ACCESS_TOKEN_TYP, kid })
        .setIssuer(authority.issuer())
        .setSubject(token.subject ?? token.appId)
        .setAudience(token.audiences ?? authority.audience())
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(Math.floor(token.expiresAt / 1000))
        .setJti(token.id)
        .sign(key)
    },
  }
}
