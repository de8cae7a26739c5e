import { ScopewardError } from '../errors.js'
import type { AppRecord, ScopeRecord, TokenRecord } from './model.js'
import { hashSecret } from '../tokens/opaque-token.js'
import type { Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import { BUILT_IN_SCOPES } from './scope-rules.js'

export const ROOT_APP_ID = 'root'

/**
 * Creates the built-in scopes, the root app and a root token holding every built-in scope, in one
 * transaction, audited as `call`'s (the operator who ran `init` or started the server). The root
 * token expires like any other unless `noExpiry`. Refuses an initialised database.
 */
export async function initialize(
  domain: Pick<Domain, 'store' | 'catalogue' | 'clock' | 'policies' | 'tokenFormat'>,
  call: Call,
  options: { noExpiry?: boolean } = {},
): Promise<{ rootToken: string; token: TokenRecord }> {
  const now = domain.clock()
  const scopes: ScopeRecord[] = BUILT_IN_SCOPES.map((s) => ({ name: s.name, description: s.description, implies: [...s.implies], builtIn: true, createdAt: now }))
  const names = scopes.map((s) => s.name).sort()
  const rootApp: AppRecord = {
    id: ROOT_APP_ID,
    name: 'root',
    description: 'The administrative app created at init',
    allowedScopes: names,
    maxTokenLifetimeMs: null,
    isRoot: true,
    createdAt: now,
    disabledAt: null,
    tokenConstraints: null,
    audiences: [],
  }
  const token = rootTokenRecord(domain, names, options.noExpiry ?? false)
  const audit = auditEvent(domain, call, { action: 'instance.init', target: token.record.id, appId: ROOT_APP_ID })
  const created = await domain.store.initialize({ scopes, rootApp, rootToken: token.record, audit })
  if (!created) throw new ScopewardError('CONFLICT', 'the database is already initialised; use `scopeward token issue --root` to mint a new root token')
  await domain.catalogue.refresh()
  return { rootToken: token.plaintext, token: token.record }
}

/** A root token record (every built-in scope) and its plaintext; used by init and by `token issue --root`. */
export function rootTokenRecord(domain: Pick<Domain, 'clock' | 'policies' | 'tokenFormat'>, scopes: string[], noExpiry: boolean): { record: TokenRecord; plaintext: string } {
  const now = domain.clock()
  const opaque = domain.tokenFormat.generate()
  return {
    plaintext: opaque.plaintext,
    record: {
      id: opaque.id,
      appId: ROOT_APP_ID,
      subject: null,
      name: 'root',
      kind: 'OPAQUE',
      scopes,
      secretHash: hashSecret(opaque.secret),
      createdAt: now,
      expiresAt: noExpiry ? null : now + domain.policies.defaultOpaqueLifetimeMs,
      revokedAt: null,
      revokeReason: null,
      lastUsedAt: null,
      createdBy: null,
      parentId: null,
      kid: null,
      boundTo: null,
      constraints: null,
      creditsRemaining: null,
      creditsRefilledAt: null,
      audiences: null,
    },
  }
}
