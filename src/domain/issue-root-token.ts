import type { Call } from './actor.js'
import { auditEvent, type Domain } from './context.js'
import type { IssuedToken } from './issue-token.js'
import { rootTokenRecord } from './initialize.js'

/**
 * Break glass: a new token of the root app holding every built-in scope, for whoever holds the
 * database (the command line) when every root token is lost. Audited as `token.issue_root`.
 */
export async function issueRootToken(domain: Domain, call: Call, options: { name?: string | undefined; noExpiry: boolean }): Promise<IssuedToken> {
  const scopes = domain.catalogue.all.filter((s) => s.builtIn).map((s) => s.name)
  const { record, plaintext } = rootTokenRecord(domain, scopes, options.noExpiry)
  if (options.name !== undefined) record.name = options.name
  await domain.store.insertToken(record, auditEvent(domain, call, { action: 'token.issue_root', target: record.id, appId: record.appId }))
  return { token: record, secret: plaintext }
}
