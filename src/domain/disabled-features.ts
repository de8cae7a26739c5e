// Stand-ins for the parts a process runs without (a one-shot command loads no signing keys, so it
// neither signs nor verifies JWTs). Each refuses exactly as the server answered when the part was
// missing, so a Domain never has an optional member and no caller tests for one.
import { ScopewardError, badInput } from '../errors.js'
import type { JwtVerifier } from './authenticate.js'
import type { JwtIssuer } from './context.js'
import type { SigningKeys } from './signing-keys.js'

/** Refuses to issue a JWT (BAD_USER_INPUT on `kind`), before anything is written. */
export const NO_JWT_ISSUER: JwtIssuer = {
  signingKid: () => {
    throw badInput('kind', 'kind: JWT access tokens are not available on this server')
  },
  sign: () => Promise.reject(badInput('kind', 'kind: JWT access tokens are not available on this server')),
}

/** Refuses every JWT as malformed: without keys none can be verified. */
export const NO_JWT_VERIFIER: JwtVerifier = {
  verify: () => Promise.resolve({ ok: false, reason: 'malformed' }),
}

/** The key ring where none is loaded: every operation refuses (BAD_USER_INPUT). */
export const NO_SIGNING_KEYS: SigningKeys = {
  list: () => Promise.reject(keysUnavailable()),
  rotate: () => Promise.reject(keysUnavailable()),
  isSupported: () => {
    throw keysUnavailable()
  },
}

function keysUnavailable(): ScopewardError {
  return new ScopewardError('BAD_USER_INPUT', 'signing keys are not available on this server')
}
