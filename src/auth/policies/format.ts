import { DEFAULT_OPAQUE_FORMAT, type OpaqueFormat } from '../../tokens/opaque-token.js'
import { MAX_TOKEN_LENGTH, type Checked } from '../failure.js'

/** A presented token whose shape is right, not yet looked up. */
export type Credential = { kind: 'opaque'; id: string; secret: string } | { kind: 'jwt'; presented: string }

/**
 * Policy 1, format: the text is an opaque token of this instance's format (its prefix,
 * SCOPEWARD_TOKEN_PREFIX) with a valid checksum, or (when JWTs are
 * enabled) something dotted for the JWT verifier. No I/O: a mistyped or made-up token costs no
 * database read. Refuses `malformed` (empty, oversized, neither kind) or `bad_checksum`.
 */
export function checkFormat(presented: string, jwtEnabled: boolean, format: OpaqueFormat = DEFAULT_OPAQUE_FORMAT): Checked<{ credential: Credential }> {
  if (presented.length === 0 || presented.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' }
  if (format.looksLike(presented)) {
    const parsed = format.parse(presented)
    return parsed ? { ok: true, credential: { kind: 'opaque', ...parsed } } : { ok: false, reason: 'bad_checksum' }
  }
  if (jwtEnabled && presented.includes('.')) return { ok: true, credential: { kind: 'jwt', presented } }
  return { ok: false, reason: 'malformed' }
}
