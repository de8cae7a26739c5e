import type { ApolloServerPlugin } from '@apollo/server'
import { ApolloArmor } from '@escape.tech/graphql-armor'
import { GraphQLError, Kind, type FieldNode, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql'

/** Limits on what one GraphQL document may ask, each refused with a 400 before execution. */
export interface AbuseLimits {
  maxDepth: number
  maxAliases: number
  maxDirectives: number
  maxTokens: number
  maxCost: number
  maxRootFields: number
  /** Largest product of `first` along any path of nested lists: what bounds the rows one request can touch. */
  maxListProduct: number
  /** Characters of the query text, checked before parsing. */
  maxQueryLength: number
}

/** Defaults sized for this API: the deepest useful query (tokens → edges → node → parent → app → tokens …) is well under them. */
export const DEFAULT_LIMITS: AbuseLimits = {
  maxDepth: 12,
  maxAliases: 15,
  maxDirectives: 50,
  maxTokens: 2000,
  maxCost: 50_000,
  maxRootFields: 10,
  maxListProduct: 10_000,
  maxQueryLength: 20_000,
}

/**
 * GraphQL Armor's depth, alias, directive, token and cost limits, plus a root-field limit; field
 * suggestions ("did you mean …") are blocked when introspection is off, so a closed schema is not guessed.
 */
export function abuseProtection(
  limits: AbuseLimits,
  options: { blockFieldSuggestions: boolean },
): { plugins: ApolloServerPlugin<any>[]; validationRules: ValidationRule[]; parseOptions: { maxTokens: number } } {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: limits.maxDirectives },
    // Token counting is done by graphql-js's own parser (Apollo's parseOptions.maxTokens): armor's
    // plugin re-parses and throws from a hook, which Apollo answers 500 on a syntax error.
    maxTokens: { enabled: false },
    costLimit: { maxCost: limits.maxCost },
    blockFieldSuggestion: { enabled: options.blockFieldSuggestions },
  })
  const protection = armor.protect()
  return {
    plugins: protection.plugins as unknown as ApolloServerPlugin<any>[],
    validationRules: [...protection.validationRules, maxRootFieldsRule(limits.maxRootFields), maxListProductRule(limits.maxListProduct)],
    parseOptions: { maxTokens: limits.maxTokens },
  }
}

/** Refuses an operation selecting more than `max` root fields (fragments at the root are counted through). */
export function maxRootFieldsRule(max: number): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(node) {
      const count = countRootFields(context, node.selectionSet, new Set())
      if (count > max) context.reportError(new GraphQLError(`Operation selects ${count} root fields; the limit is ${max}`, { nodes: [node] }))
    },
  })
}

function countRootFields(context: ValidationContext, selectionSet: SelectionSetNode, seen: Set<string>): number {
  let n = 0
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) n++
    else if (selection.kind === Kind.INLINE_FRAGMENT) n += countRootFields(context, selection.selectionSet, seen)
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value)
      const fragment = context.getFragment(selection.name.value)
      if (fragment) n += countRootFields(context, fragment.selectionSet, seen)
    }
  }
  return n
}

/** The page size a field asks for: its literal `first`, the maximum (100) for a variable, the default (20) when absent. */
function pageOf(field: FieldNode): number {
  const arg = field.arguments?.find((a) => a.name.value === 'first')
  if (!arg) return LIST_FIELDS.has(field.name.value) ? 20 : 1
  return arg.value.kind === Kind.INT ? Math.max(1, Number(arg.value.value)) : 100
}

/** Fields that return a page even without `first`. */
const LIST_FIELDS = new Set(['tokens', 'apps', 'auditEvents', 'overPermissionedTokens', 'expiringTokens', 'neverExpiringTokens'])

/**
 * Refuses an operation whose nested lists could touch more than `max` rows: the product of page
 * sizes along the deepest path (apps(first: 100) { tokens(first: 100) } is 10,000). The cost
 * limit above does not know page sizes; this does.
 */
export function maxListProductRule(max: number): ValidationRule {
  return (context: ValidationContext) => {
    // Per document: a fragment's worst product is computed once, however often it is spread.
    const byFragment = new Map<string, number>()
    return {
      OperationDefinition(node) {
        const worst = listFactor(context, node.selectionSet, byFragment, new Set())
        if (worst > max) context.reportError(new GraphQLError(`Operation may read ${worst} rows through nested lists; the limit is ${max}`, { nodes: [node] }))
      },
    }
  }
}

/**
 * The largest product of page sizes along any path below `selectionSet` (1 when it has no list).
 * Products multiply, so a fragment's factor does not depend on where it is spread: memoised per
 * fragment, the walk is linear in the document's size (nested spreads would otherwise expand
 * exponentially). A fragment already on the stack is a cycle, refused by NoFragmentCycles.
 */
function listFactor(context: ValidationContext, selectionSet: SelectionSetNode, byFragment: Map<string, number>, visiting: Set<string>): number {
  let worst = 1
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const here = pageOf(selection)
      worst = Math.max(worst, selection.selectionSet ? here * listFactor(context, selection.selectionSet, byFragment, visiting) : here)
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      worst = Math.max(worst, listFactor(context, selection.selectionSet, byFragment, visiting))
    } else {
      const name = selection.name.value
      let factor = byFragment.get(name)
      if (factor === undefined && !visiting.has(name)) {
        const fragment = context.getFragment(name)
        visiting.add(name)
        factor = fragment ? listFactor(context, fragment.selectionSet, byFragment, visiting) : 1
        visiting.delete(name)
        byFragment.set(name, factor)
      }
      worst = Math.max(worst, factor ?? 1)
    }
  }
  return worst
}
