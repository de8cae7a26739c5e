import { decodeProtectedHeader, errors, jwtVerify, type JWTHeaderParameters } from 'jose'
import { LRUCache } from 'lru-cache'
import { MAX_TOKEN_LENGTH, type AuthFailure } from '../auth/failure.js'
import type { JwtVerifier } from '../auth/policies/lookup.js'
import { ACCESS_TOKEN_TYP } from './sign-access-token.js'
import type { TokenAuthority } from './token-authority.js'
import { CLOCK_TOLERANCE_S, type KeyRing } from './key-ring.js'

/** Three base64url segments, none empty: anything else (JWE, `none` with no signature, padding, `+`, `/`) stops here. */
const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/**
 * Header members that name a key by reference or embed one. jose never fetches `jku`/`x5u` and
 * trusts a header `jwk` only with EmbeddedJWK, which we never use; a token carrying them anyway was
 * made by someone probing for verifiers that do, so it is refused outright (RFC 8725 §3.10).
 */
const KEY_REFERENCE_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256'] as const

/** Claims every Scopeward JWT carries; jose checks `exp`/`nbf` only if present, so presence is required here. */
const REQUIRED_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sub', 'client_id', 'scope']

type Outcome = { ok: true; tokenId: string; clientId: string; audiences: string[] | null } | { ok: false; reason: AuthFailure }

/**
 * Verifies a Scopeward access token: shape and size first, then the signature with a key found by
 * `kid` in the in-memory ring only, with every jose option pinned (algorithms, typ, iss, required
 * claims, clock tolerance); `aud` is returned (null: Scopeward's own) for the caller to compare with the row. The caller then checks the `jti` row (revocation, expiry, app).
 */
export function createJwtVerifier(ring: KeyRing, authority: TokenAuthority): JwtVerifier {
  // Verified tokens by their exact text: the same bytes carry the same signature, so only the key
  // must still be held. Cache policy (as every bounded cache here): LRU with a max entry count, and
  // a TTL where an entry goes stale; this one's TTL is the token's own exp (plus the clock
  // tolerance jose allows), on the wall clock jose checks exp against, so an expired JWT is never a hit.
  // Revocation is never cached: the caller reads the jti row on every request.
  const verified = new LRUCache<string, { tokenId: string; clientId: string; kid: string; audiences: string[] | null }>({ max: MAX_CACHED, perf: Date })
  return {
    async verify(presented: string): Promise<Outcome> {
      const hit = verified.get(presented)
      if (hit) {
        if (ring.verificationKey(hit.kid)) return { ok: true, tokenId: hit.tokenId, clientId: hit.clientId, audiences: hit.audiences }
        verified.delete(presented)
      }
      const outcome = await verifyUncached(presented)
      if (outcome.ok) {
        const ttl = outcome.expMs + CLOCK_TOLERANCE_S * 1000 - Date.now()
        if (ttl > 0) verified.set(presented, { tokenId: outcome.tokenId, clientId: outcome.clientId, kid: outcome.kid, audiences: outcome.audiences }, { ttl })
        return { ok: true, tokenId: outcome.tokenId, clientId: outcome.clientId, audiences: outcome.audiences }
      }
      return outcome
    },
  }

  async function verifyUncached(
    presented: string,
  ): Promise<{ ok: true; tokenId: string; clientId: string; expMs: number; kid: string; audiences: string[] | null } | { ok: false; reason: AuthFailure }> {
    if (presented.length > MAX_TOKEN_LENGTH || !JWS_SHAPE.test(presented)) return { ok: false, reason: 'malformed' }
    let header: JWTHeaderParameters
    try {
      header = decodeProtectedHeader(presented) as JWTHeaderParameters
    } catch {
      return { ok: false, reason: 'malformed' }
    }
    if (KEY_REFERENCE_HEADERS.some((h) => h in header)) return { ok: false, reason: 'bad_signature' }
    // Only a string kid of a key we hold; the lookup is a Map get, so a path- or SQL-shaped kid is just unknown.
    const known = typeof header.kid === 'string' ? ring.verificationKey(header.kid) : null
    if (!known || header.alg !== known.alg) return { ok: false, reason: 'bad_signature' }
    try {
      const { payload } = await jwtVerify(
        presented,
        (h) => {
          const key = typeof h.kid === 'string' ? ring.verificationKey(h.kid) : null
          if (!key || key.alg !== h.alg) throw new errors.JWKSNoMatchingKey()
          return key.key
        },
        {
          algorithms: ring.algorithms(),
          typ: ACCESS_TOKEN_TYP,
          issuer: authority.issuer(),
          requiredClaims: REQUIRED_CLAIMS,
          clockTolerance: CLOCK_TOLERANCE_S,
        },
      )
      if (typeof payload.jti !== 'string' || typeof payload.client_id !== 'string' || typeof payload.scope !== 'string') return { ok: false, reason: 'bad_claims' }
      // aud is Scopeward's own, or (RFC 8707) the resources the row records: the caller compares it with the row, and Scopeward's API refuses the latter.
      const aud = typeof payload.aud === 'string' ? [payload.aud] : payload.aud
      if (!Array.isArray(aud) || aud.length === 0 || !aud.every((a) => typeof a === 'string')) return { ok: false, reason: 'bad_claims' }
      const audiences = aud.length === 1 && aud[0] === authority.audience() ? null : aud
      return { ok: true, tokenId: payload.jti, clientId: payload.client_id, expMs: (payload.exp as number) * 1000, kid: header.kid as string, audiences }
    } catch (error) {
      return { ok: false, reason: failureOf(error) }
    }
  }
}

/** Verified JWTs remembered at once (least recently used dropped first): ~10k × a few hundred bytes. */
const MAX_CACHED = 10_000

function failureOf(error: unknown): AuthFailure {
  if (error instanceof errors.JWTExpired) return 'expired'
  if (error instanceof errors.JWTClaimValidationFailed) return 'bad_claims'
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JWKSNoMatchingKey) return 'bad_signature'
  return 'malformed'
}
