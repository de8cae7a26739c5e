import { defaultFieldResolver, type GraphQLFieldResolver, type ResponsePath } from 'graphql'
import { fieldDeniedError } from './errors.js'
import { deniedByContext, heldScopesOf, usedScopes, type ScopeMetadata } from './metadata.js'
import { missingScopes, requirementUnder, satisfiedAlternative, type Requirement } from './requirement.js'

/**
 * Wraps one field's resolver (or `subscribe`) with the run-time check: the field's own requirement
 * against the caller's scopes, plus any denial `checkOperation` recorded for this request and
 * field node. The second line of defence: it holds even when nobody ran `checkOperation`.
 * Sync resolvers stay sync; a denial throws, so graphql-js puts null and the error at the path.
 */
export function wrapResolver(
  metadata: ScopeMetadata,
  coordinate: string,
  requirement: Requirement,
  resolve: GraphQLFieldResolver<unknown, unknown> = defaultFieldResolver,
): GraphQLFieldResolver<unknown, unknown> {
  const { onAuthorized } = metadata.options
  const protectedField = requirement.length > 0
  return (source, args, context, info) => {
    if (typeof context === 'object' && context !== null) {
      const denied = deniedByContext.get(context)
      if (denied !== undefined && denied.size > 0) {
        // Any merged node denied at this path denies the field: the stricter selection wins.
        let pathKey: string | undefined
        for (const node of info.fieldNodes) {
          const byPath = denied.get(node)
          if (byPath === undefined) continue
          pathKey ??= responsePathKey(info.path)
          const d = byPath.get(pathKey)
          if (d !== undefined) throw fieldDeniedError(d)
        }
      }
    }
    if (protectedField) {
      const held = heldScopesOf(metadata, context)
      // Least first under the current hierarchy: the alternative recorded as needed is the lightest that suffices.
      const req = requirementUnder(requirement, held.index)
      const i = satisfiedAlternative(req, held.closed)
      if (i < 0) {
        throw fieldDeniedError({
          path: [],
          coordinate,
          requiredScopes: req,
          missingScopes: missingScopes(req, held.closed, held.index),
          reason: held.closed === null ? 'UNAUTHENTICATED' : 'FORBIDDEN',
        })
      }
      const alternative = req[i] as readonly string[]
      // `@authenticated` alone uses no scope: nothing to record.
      if (onAuthorized !== undefined && alternative.length > 0) onAuthorized(context, usedScopes(held, alternative), alternative)
    }
    return resolve(source, args, context, info)
  }
}

/** The response keys of `path` from the root, joined by `.`, without list indices (as `checkOperation` keys denials). */
function responsePathKey(path: ResponsePath): string {
  const keys: string[] = []
  for (let p: ResponsePath | undefined = path; p !== undefined; p = p.prev) if (typeof p.key === 'string') keys.push(p.key)
  return keys.reverse().join('.')
}
