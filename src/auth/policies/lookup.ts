import type { TokenRecord } from '../../domain/model.js'
import { hashSecret, secretMatches } from '../../tokens/opaque-token.js'
import type { AuthFailure, Checked } from '../failure.js'
import type { Credential } from './format.js'

/** Verifies JWT access tokens; supplied by tokens/ when signing keys are configured. */
export interface JwtVerifier {
  /** `audiences`: the JWT's `aud` when it names resources other than Scopeward (RFC 8707); null: Scopeward's own. */
  verify(presented: string): Promise<{ ok: true; tokenId: string; clientId: string; audiences: string[] | null } | { ok: false; reason: AuthFailure }>
}

export interface LookupDeps {
  getToken(id: string): Promise<TokenRecord | null>
  jwtVerifier?: JwtVerifier | undefined
}

/** Compared against when the id is unknown, so a miss costs the same hash and comparison as a hit. */
const NO_SECRET_HASH = hashSecret('')

/**
 * Policy 2, lookup: the token row a well-formed credential names. Opaque: the row by id, then the
 * secret's hash in constant time; an unknown id (or a row without a secret) still hashes and
 * compares, so neither the answer (401 alike) nor the work tells a stranger whether the id exists.
 * JWT: the signature first (nothing is read for a forged one), then the `jti` row, which must be a
 * JWT of the app the signed `client_id` names.
 */
export async function lookupToken(credential: Credential, deps: LookupDeps): Promise<Checked<{ token: TokenRecord }>> {
  if (credential.kind === 'opaque') {
    const token = await deps.getToken(credential.id)
    const matches = secretMatches(credential.secret, token?.secretHash ?? NO_SECRET_HASH)
    if (!token || token.secretHash === null) return { ok: false, reason: 'unknown' }
    return matches ? { ok: true, token } : { ok: false, reason: 'wrong_secret' }
  }
  if (!deps.jwtVerifier) return { ok: false, reason: 'malformed' }
  const verified = await deps.jwtVerifier.verify(credential.presented)
  if (!verified.ok) return verified
  const token = await deps.getToken(verified.tokenId)
  if (!token || token.kind !== 'JWT') return { ok: false, reason: 'unknown' }
  // Defence in depth: the signed client_id must name the app the jti row belongs to.
  if (token.appId !== verified.clientId) return { ok: false, reason: 'bad_claims' }
  // And the signed aud the audiences recorded at issuance.
  if (JSON.stringify(token.audiences) !== JSON.stringify(verified.audiences)) return { ok: false, reason: 'bad_claims' }
  return { ok: true, token }
}
