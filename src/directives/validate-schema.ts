import { isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql'
import { ScopeDirectiveBuildError, type BuildProblem } from './errors.js'
import { codeRule, readLocalRule, type LocalRule } from './read-directives.js'
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
export function validateScopeDirectives(
  schema: GraphQLSchema,
  declaredScopes?: Iterable<string>,
  overrides: Readonly<Record<string, 'public' | 'authenticated' | Requirement>> = {},
): ScopeRules {
  const declared = declaredScopes === undefined ? null : new Set(declaredScopes)
  const problems: BuildProblem[] = []
  const local = new Map<string, Requirement>()
  const publicFields = new Set<string>()
  const ruled = new Set<string>()
  const found = new Set<string>()
  // A rule given in code replaces the SDL's at its coordinate (checked as a directive would be).
  const ruleOf = (node: Parameters<typeof readLocalRule>[1], coordinate: string): LocalRule => {
    if (!Object.hasOwn(overrides, coordinate)) return readLocalRule(schema, node, coordinate, declared, problems)
    found.add(coordinate)
    return codeRule(overrides[coordinate] as 'public' | 'authenticated' | Requirement, coordinate, declared, problems)
  }

  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue
    const typeRule = ruleOf(type, type.name)
    if (typeRule.requirement !== null) local.set(type.name, typeRule.requirement)
    if (typeRule.hasDirective) ruled.add(type.name)
    if (!isObjectType(type) && !isInterfaceType(type)) continue
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`
      const rule = ruleOf(field, coordinate)
      if (rule.requirement !== null) local.set(coordinate, rule.requirement)
      if (rule.isPublic) publicFields.add(coordinate)
      if (rule.hasDirective) ruled.add(coordinate)
    }
  }

  for (const coordinate of Object.keys(overrides)) {
    if (!found.has(coordinate)) problems.push({ coordinate, message: 'options.rules names a type or field the schema does not have' })
  }

  // Default deny (the Redwood pattern): a root field nobody thought about must not ship open.
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (root == null || ruled.has(root.name)) continue
    for (const field of Object.values(root.getFields())) {
      const coordinate = `${root.name}.${field.name}`
      if (!ruled.has(coordinate)) {
        // Federation adds these itself, so they cannot carry a directive: say how to rule them.
        const hint = field.name === '_entities' || field.name === '_service' ? ` (a field you cannot annotate: options.rules, e.g. { '${coordinate}': 'public' })` : ''
        problems.push({
          coordinate,
          message: `root field has no authorization rule (default deny): add @requiresScope, @authenticated or @public${hint}`,
        })
      }
    }
  }

  if (problems.length > 0) throw new ScopeDirectiveBuildError(problems)
  return { local, publicFields }
}
