// Every write re-checks what it relies on inside its own transaction: the decision to write is made
// on rows read before the transaction, so the guards below re-read those rows under the write lock
// and abort (nothing written) when they no longer allow it. See docs/concurrency.md.
import { ScopewardError } from '../errors.js'
import { rotatedKey, type AppRecord, type GuardRows, type TokenRecord, type WriteGuard } from './model.js'
import { effectiveScopes, unusableReason } from './authenticate.js'
import { clientSecretOfActor, unreachable, type Actor } from './actor.js'
import type { Domain, Principal } from './context.js'

/**
 * A row a decision read changed before the write committed: the whole operation is re-run (see
 * `retryStale`), so its pre-checks answer with the error they give on the fresh rows.
 */
export class StaleRead extends ScopewardError {
  constructor(what: string) {
    super('CONFLICT', `${what} changed while this request ran; nothing was changed, retry`)
  }
}

/** How often an operation is re-run after a StaleRead before CONFLICT is answered. */
export const MAX_ATTEMPTS = 5

/** Runs `operation`, re-running it from its first read when its write found a row it relied on changed. */
export async function retryStale<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      if (!(error instanceof StaleRead) || attempt >= MAX_ATTEMPTS) throw error
    }
  }
}

/** One guard reading every row the given ones read and running all their checks. */
export function allOf(...guards: (WriteGuard | null | undefined)[]): WriteGuard {
  const list = guards.filter((g): g is WriteGuard => g != null)
  const union = (pick: (g: WriteGuard) => readonly string[] | undefined): string[] => [...new Set(list.flatMap((g) => pick(g) ?? []))]
  return {
    tokens: union((g) => g.tokens),
    apps: union((g) => g.apps),
    clientSecrets: union((g) => g.clientSecrets),
    signingKeys: union((g) => g.signingKeys),
    meta: union((g) => g.meta),
    check: (rows) => {
      for (const g of list) g.check(rows)
    },
  }
}

/**
 * The caller, re-authenticated at commit. The operator holds the database: nothing to re-check. A
 * client secret: still unrevoked. A token: still unrevoked and unexpired, its app enabled and its
 * lifetime policies met (UNAUTHENTICATED otherwise), a JWT's signing key not retired and its client
 * secret (client_credentials) not revoked, and no scope it was authorised with lost to a concurrent
 * narrowing (FORBIDDEN).
 */
export function callerGuard(domain: Domain, actor: Actor): WriteGuard | undefined {
  switch (actor.kind) {
    case 'operator':
      return undefined
    case 'client':
      return activeClientSecret(actor.secretId)
    case 'token':
      return tokenGuard(domain, actor.principal)
    default:
      return unreachable(actor)
  }
}

function tokenGuard(domain: Domain, principal: Principal): WriteGuard {
  const { token, app } = principal
  // A client_credentials JWT acts on its client secret's authority: that secret must still stand too.
  const secretId = clientSecretOfActor(token.createdBy)
  return {
    tokens: [token.id],
    apps: [app.id],
    signingKeys: token.kid !== null ? [token.kid] : [],
    clientSecrets: secretId !== null ? [secretId] : [],
    check: (rows) => {
      const now = rows.tokens.get(token.id)
      const nowApp = rows.apps.get(token.appId) ?? null
      const key = token.kid !== null ? rows.signingKeys.get(token.kid) : undefined
      const secret = secretId !== null ? rows.clientSecrets.get(secretId) : undefined
      const secretGone = secretId !== null && (!secret || secret.revokedAt !== null)
      if (!now || unusableReason(domain, now, nowApp, domain.clock()) !== null || (token.kid !== null && (!key || key.status === 'RETIRED')) || secretGone) {
        throw new ScopewardError('UNAUTHENTICATED', 'the calling token was revoked or expired, or its app disabled, before this change committed; nothing was changed')
      }
      const still = effectiveScopes(domain, now, nowApp as AppRecord)
      const lost = [...principal.scopes].filter((s) => !still.has(s)).sort()
      if (lost.length > 0) {
        throw new ScopewardError('FORBIDDEN', `the calling token lost scopes before this change committed: ${lost.join(', ')}; nothing was changed`, {
          details: { missingScopes: lost },
        })
      }
    },
  }
}

/** The token as a decision read it: same status, lifetime, scopes and place in its family. */
export function unchangedToken(token: TokenRecord): WriteGuard {
  return {
    tokens: [token.id],
    check: (rows) => {
      const now = rows.tokens.get(token.id)
      if (!now || !same(tokenState(now), tokenState(token))) throw new StaleRead(`token ${JSON.stringify(token.id)}`)
    },
  }
}

/** A token not rotated since the decision read it was not: a token is rotated once, and what changes it must reach its successor. */
export function notRotated(tokenId: string): WriteGuard {
  return {
    meta: [rotatedKey(tokenId)],
    check: (rows) => {
      if (rows.meta.has(rotatedKey(tokenId))) throw new StaleRead(`token ${JSON.stringify(tokenId)}`)
    },
  }
}

/** The app as a decision read it: same ceiling, lifetime policy and enablement. */
export function unchangedApp(app: AppRecord): WriteGuard {
  return {
    apps: [app.id],
    check: (rows) => {
      const now = rows.apps.get(app.id)
      if (!now || !same(appState(now), appState(app))) throw new StaleRead(`app ${JSON.stringify(app.id)}`)
    },
  }
}

/** A client secret still unrevoked: what authenticated a client_credentials grant must hold when the token is written. */
export function activeClientSecret(id: string): WriteGuard {
  return {
    clientSecrets: [id],
    check: (rows: GuardRows) => {
      const secret = rows.clientSecrets.get(id)
      if (!secret || secret.revokedAt !== null) throw new ScopewardError('UNAUTHENTICATED', 'the client secret was revoked before the token was issued; nothing was issued')
    },
  }
}

const tokenState = (t: TokenRecord) => [t.revokedAt, t.expiresAt, t.scopes, t.parentId, t.appId, t.subject, t.boundTo]
const appState = (a: AppRecord) => [a.disabledAt, a.allowedScopes, a.maxTokenLifetimeMs, a.tokenConstraints]
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)
