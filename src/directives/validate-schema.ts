import { isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql'
import { ScopeDirectiveBuildError, type BuildProblem } from './errors.js'
import { readLocalRule } from './read-directives.js'
import type { Requirement } from './requirement.js'

/** Every rule the schema states, by schema coordinate (`Type` or `Type.field`). */
export interface ScopeRules {
  readonly local: ReadonlyMap<string, Requirement>
  readonly publicFields: ReadonlySet<string>
}

/**
 * Reads and checks every scope directive of `schema`. Throws one `ScopeDirectiveBuildError`
 * listing all problems: malformed or empty rules, undeclared scopes, `@public` mixed with a
 * rule, and root fields with no rule at all (default deny).
 */
export function validateScopeDirectives(schema: GraphQLSchema, declaredScopes?: Iterable<string>): ScopeRules {
  const declared = declaredScopes === undefined ? null : new Set(declaredScopes)
  const problems: BuildProblem[] = []
  const local = new Map<string, Requirement>()
  const publicFields = new Set<string>()
  const ruled = new Set<string>()

  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue
    const typeRule = readLocalRule(schema, type, type.name, declared, problems)
    if (typeRule.requirement !== null) local.set(type.name, typeRule.requirement)
    if (typeRule.hasDirective) ruled.add(type.name)
    if (!isObjectType(type) && !isInterfaceType(type)) continue
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`
      const rule = readLocalRule(schema, field, coordinate, declared, problems)
      if (rule.requirement !== null) local.set(coordinate, rule.requirement)
      if (rule.isPublic) publicFields.add(coordinate)
      if (rule.hasDirective) ruled.add(coordinate)
    }
  }

  // Default deny (the Redwood pattern): a root field nobody thought about must not ship open.
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (root == null || ruled.has(root.name)) continue
    for (const field of Object.values(root.getFields())) {
      const coordinate = `${root.name}.${field.name}`
      if (!ruled.has(coordinate)) {
        problems.push({
          coordinate,
          message: 'root field has no authorization rule (default deny): add @requiresScope, @authenticated or @public',
        })
      }
    }
  }

  if (problems.length > 0) throw new ScopeDirectiveBuildError(problems)
  return { local, publicFields }
}
