import { createHash } from 'node:crypto'
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose'
import { LRUCache } from 'lru-cache'

/** How the resource server authenticates to Scopeward: an app's client secret, or a token; either must hold `tokens:introspect`. */
export type VerifierCredentials = { clientId: string; clientSecret: string } | { token: string }

export interface VerifierOptions {
  /** Scopeward's issuer (`SCOPEWARD_ISSUER`), e.g. `https://auth.example.com`: the `iss` of its JWTs and the base of its routes. */
  issuer: string
  credentials: VerifierCredentials
  /** The `aud` a JWT must name to be accepted here (RFC 8707): your resource URI. Default: Scopeward's own, `${issuer}/graphql`. */
  audience?: string
  /** How long an answer of /v1/verify is reused (default 5000 ms; 0: never). Revocation of an opaque token is seen within it. */
  cacheTtlMs?: number
  /** Most answers cached at once, least recently used dropped first (default 10,000). */
  cacheMax?: number
  /** `local` (default): JWTs verified here against the JWKS; `remote`: every token, JWTs too, through /v1/verify. */
  jwt?: 'local' | 'remote'
  /** The clock of the cache's TTL, in ms (default performance.now); tests pass their own. */
  now?: () => number
  /** The fetch used for /v1/verify (default the global one). */
  fetch?: typeof fetch
}

/** What to check beyond the token itself. */
export interface VerifyOptions {
  /** Alternatives (any of), each a list of scopes (all of). */
  requiredScopes?: readonly (readonly string[])[]
  /** The address the token's holder called you from: per-token IP allowlists are checked against it (opaque tokens and remote JWTs). */
  clientAddress?: string
}

/** The answer about one token: the shape of POST /v1/verify (README: codes). */
export interface Verification {
  valid: boolean
  code: string
  tokenId: string | null
  appId: string | null
  subject: string | null
  scopes: string[]
  missingScopes: string[]
  ratelimit: { limit: number; remaining: number; reset: number } | null
  credits: { remaining: number } | null
  retryAfter?: number
  /** Where the answer came from: `jwt` checked here, `remote` by Scopeward, `cache` a remote answer reused. */
  source: 'jwt' | 'remote' | 'cache'
}

/** Scopeward could not answer (down, or refused these credentials): a resource server must fail closed. */
export class VerifierError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'VerifierError'
  }
}

export interface Verifier {
  verify(token: string, options?: VerifyOptions): Promise<Verification>
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const REQUIRED_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'jti', 'sub', 'client_id', 'scope']

/**
 * A verifier for resource servers. JWTs are checked here (signature against Scopeward's JWKS,
 * `typ: at+jwt`, issuer, audience, expiry): no round trip, so a revoked JWT passes until its `exp`.
 * Opaque tokens (and JWTs whose scopes do not satisfy the requirement as written, since `implies`
 * is known only to Scopeward) go to POST /v1/verify; its answers are cached `cacheTtlMs`, so a
 * revoked opaque token is refused at most that long after its revocation.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const issuer = options.issuer.replace(/\/+$/, '')
  const audience = options.audience ?? `${issuer}/graphql`
  const ttl = options.cacheTtlMs ?? 5000
  if (!Number.isFinite(ttl) || ttl < 0) throw new TypeError('cacheTtlMs must be a number of milliseconds, 0 or more')
  const doFetch = options.fetch ?? fetch
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`))
  const perf = options.now ? { now: options.now } : undefined
  const cache = ttl > 0 ? new LRUCache<string, Omit<Verification, 'source'>>({ max: options.cacheMax ?? 10_000, ttl, ...(perf ? { perf } : {}) }) : null
  const authorization =
    'token' in options.credentials
      ? `Bearer ${options.credentials.token}`
      : `Basic ${Buffer.from(`${formEncode(options.credentials.clientId)}:${formEncode(options.credentials.clientSecret)}`).toString('base64')}`

  async function remote(token: string, opts: VerifyOptions): Promise<Verification> {
    // Keyed by a hash: the cache never holds a token in the clear.
    const key = createHash('sha256')
      .update(JSON.stringify([token, opts.requiredScopes ?? null, opts.clientAddress ?? null]))
      .digest('base64url')
    const hit = cache?.get(key)
    if (hit) return { ...hit, source: 'cache' }
    let res: Response
    try {
      res = await doFetch(`${issuer}/v1/verify`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        // Our audience too: a JWT sent here must name it, as locally (opaque tokens carry none).
        body: JSON.stringify({
          token,
          audience,
          ...(opts.requiredScopes ? { requiredScopes: opts.requiredScopes } : {}),
          ...(opts.clientAddress ? { clientAddress: opts.clientAddress } : {}),
        }),
      })
    } catch (error) {
      throw new VerifierError(`Scopeward is unreachable: ${(error as Error).message}`)
    }
    if (res.status !== 200) {
      const body = (await res.json().catch(() => ({}))) as { error?: string; error_description?: string }
      throw new VerifierError(`Scopeward refused the verification (${res.status} ${body.error ?? ''}): ${body.error_description ?? ''}`.trim(), res.status)
    }
    const answer = (await res.json()) as Omit<Verification, 'source'>
    // A rate-limited answer is not reused: the next request may pass.
    if (cache && answer.code !== 'RATE_LIMITED') cache.set(key, answer)
    return { ...answer, source: 'remote' }
  }

  async function local(token: string, opts: VerifyOptions): Promise<Verification | null> {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, jwks, {
        issuer,
        audience,
        typ: 'at+jwt',
        algorithms: ['EdDSA', 'ES256', 'RS256'],
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: 5,
      }))
    } catch (error) {
      if (error instanceof errors.JWTExpired) return refused('TOKEN_EXPIRED')
      if (error instanceof errors.JWKSTimeout || (error instanceof Error && 'code' in error && error.code === 'ERR_JOSE_GENERIC'))
        throw new VerifierError(`the JWKS could not be read: ${error.message}`)
      // A bad signature, another issuer or audience, a foreign key: not a token this resource server accepts.
      return refused('TOKEN_UNKNOWN')
    }
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : []
    const missing = missingScopes(new Set(scopes), opts.requiredScopes)
    // Held through `implies` perhaps: only Scopeward knows the graph, so it decides.
    if (missing.length > 0) return null
    const appId = typeof payload.client_id === 'string' ? payload.client_id : null
    return {
      valid: true,
      code: 'VALID',
      tokenId: payload.jti ?? null,
      appId,
      subject: payload.sub !== undefined && payload.sub !== appId ? payload.sub : null,
      scopes,
      missingScopes: [],
      ratelimit: null,
      credits: null,
      source: 'jwt',
    }
  }

  return {
    async verify(token, opts = {}) {
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return refused('TOKEN_MALFORMED')
      if (options.jwt !== 'remote' && JWT_SHAPE.test(token)) {
        const checked = await local(token, opts)
        if (checked) return checked
      }
      return remote(token, opts)
    },
  }
}

function refused(code: string): Verification {
  return { valid: false, code, tokenId: null, appId: null, subject: null, scopes: [], missingScopes: [], ratelimit: null, credits: null, source: 'jwt' }
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function formEncode(part: string): string {
  return encodeURIComponent(part).replace(/%20/g, '+')
}

/** The smallest set of scopes `held` lacks for one alternative; [] when one is held or nothing is required. */
function missingScopes(held: ReadonlySet<string>, required: readonly (readonly string[])[] | undefined): string[] {
  if (!required || required.length === 0) return []
  let best: string[] | null = null
  for (const alternative of required) {
    const lacking = alternative.filter((s) => !held.has(s))
    if (lacking.length === 0) return []
    if (best === null || lacking.length < best.length) best = lacking
  }
  return best ?? []
}
