/**
 * Scope directive engine: `@requiresScope`, `@authenticated`, `@public` (and Apollo Federation's
 * `@requiresScopes`) for any graphql-js schema. No knowledge of tokens or storage: the caller's
 * scopes come from `scopesOf(context)`.
 *
 * Plain graphql-js:
 * ```ts
 * const schema = applyScopeDirectives(
 *   makeExecutableSchema({ typeDefs: [scopeDirectiveTypeDefs, typeDefs], resolvers }),
 *   { scopesOf: (ctx) => (ctx as { scopes?: string[] }).scopes ?? null, implies: { 'tokens:write': ['tokens:read'] } },
 * )
 * const document = parse(source) // and validate(schema, document)
 * const check = checkOperation({ schema, document, variableValues, contextValue })
 * if (check.operationType !== 'query' && check.denied.length > 0) {
 *   return { errors: check.denied.map(forbiddenError) } // all-or-nothing: execute nothing
 * }
 * return execute({ schema, document, variableValues, contextValue }) // denied fields: null + error
 * ```
 * Apollo Server: `new ApolloServer({ schema, plugins: [scopeAuthorizationPlugin()] })`.
 */
export { scopeDirectiveTypeDefs } from './type-defs.js'
export type { ScopeDirectiveOptions } from './metadata.js'
export { applyScopeDirectives } from './apply-scope-directives.js'
export { ScopeDirectiveBuildError, forbiddenError } from './errors.js'
export type { BuildProblem, DeniedField } from './errors.js'
export type { Requirement } from './requirement.js'
export { checkOperation } from './check-operation.js'
export type { OperationCheck } from './check-operation.js'
export { scopeAuthorizationPlugin, acceptedScopesHeader } from './plugin.js'
export { scopeRequirements } from './scope-requirements.js'
export type { FieldRequirement } from './scope-requirements.js'
export { requiredScopes, requiredScopesForOperations } from './required-scopes.js'
export { OperationTooLargeError } from './analyze-operation.js'
export { closeScopes } from './close-scopes.js'
