/**
 * Why a presented token was refused: logged and counted (the `reason` label of
 * scopeward_auth_failures_total) inside, never told to the client, who sees one UNAUTHENTICATED
 * (or invalid_client / invalid_grant) whatever the reason. A new policy that refuses for a new
 * reason adds it here; existing reasons never change (dashboards and alerts key on them).
 */
export type AuthFailure =
  'malformed' | 'bad_checksum' | 'unknown' | 'wrong_secret' | 'expired' | 'revoked' | 'app_disabled' | 'bad_signature' | 'bad_claims' | 'address_not_allowed' | 'wrong_audience'

/** A step's refusal, or its result to hand on to the next step. */
export type Checked<T> = ({ ok: true } & T) | { ok: false; reason: AuthFailure }

/** Longest bearer credential accepted at all: bounds work spent on garbage. */
export const MAX_TOKEN_LENGTH = 4096
