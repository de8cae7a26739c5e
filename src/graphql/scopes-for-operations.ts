import { requiredScopes } from '../directives/index.js'
import { badInput } from '../errors.js'
import type { Principal } from '../domain/context.js'
import { grantableScopes } from '../domain/grant.js'
import { parseClientDocument } from './client-documents.js'
import type { GraphQLContext } from './context.js'

/**
 * The scopes to grant for `issueToken`: the given list, or, from `forOperations`, the least
 * alternative that runs every document and that the caller could grant.
 */
export async function scopesForOperations(ctx: GraphQLContext, principal: Principal, input: { scopes?: readonly string[] | null; forOperations?: readonly string[] | null }): Promise<readonly string[]> {
  if (input.forOperations == null) return input.scopes ?? []
  if (input.scopes != null) throw badInput('forOperations', 'forOperations: give either scopes or forOperations, not both')
  if (input.forOperations.length === 0) throw badInput('forOperations', 'forOperations: at least one document is required')
  let alternatives: (readonly string[])[] = [[]]
  for (const [i, document] of input.forOperations.entries()) {
    const parsed = parseClientDocument(ctx.schema, document, `forOperations[${i}]`)
    let needed
    try {
      needed = requiredScopes(ctx.schema, parsed)
    } catch (error) {
      throw badInput(`forOperations[${i}]`, `forOperations[${i}]: ${(error as Error).message}`)
    }
    if (needed.length === 0) continue
    alternatives = alternatives.flatMap((a) => needed.map((b) => [...new Set([...a, ...b])].sort()))
  }
  alternatives.sort((a, b) => a.length - b.length)
  const grantable = grantableScopes(ctx.domain, principal)
  const fit = alternatives.find((alt) => alt.every((s) => grantable.has(s)))
  if (!fit) throw badInput('forOperations', `forOperations: needs one of ${alternatives.map((a) => `[${a.join(', ')}]`).join(' or ')}, none of which the calling token can grant`)
  if (fit.length === 0) throw badInput('forOperations', 'forOperations: these operations need no scope; a token is not needed')
  return fit
}
