import type { GraphQLSchema } from 'graphql'
import { getDirective, type DirectableGraphQLObject } from '@graphql-tools/utils'
import type { BuildProblem } from './errors.js'
import { andRequirements, minimizeRequirement, type Requirement } from './requirement.js'

/** The rule one schema element (type or field) states by itself. */
export interface LocalRule {
  /** AND of its scope directives; null when it has none. `[[]]` for `@authenticated`. */
  readonly requirement: Requirement | null
  readonly isPublic: boolean
  /** Whether any rule directive is present, well-formed or not (a malformed one is its own problem). */
  readonly hasDirective: boolean
}

// Federation names: a subgraph may use the imported name or the namespaced `federation__` one.
const REQUIRES_SCOPES = ['requiresScopes', 'federation__requiresScopes']
const AUTHENTICATED = ['authenticated', 'federation__authenticated']

/**
 * Reads `@requiresScope`, `@requiresScopes`, `@authenticated` and `@public` on one element,
 * from SDL or extensions, pushing every malformed use onto `problems` (and ignoring it).
 */
export function readLocalRule(schema: GraphQLSchema, node: DirectableGraphQLObject, coordinate: string, declared: ReadonlySet<string> | null, problems: BuildProblem[]): LocalRule {
  const parts: Requirement[] = []
  const before = problems.length
  const problem = (message: string): void => void problems.push({ coordinate, message })

  for (const args of getDirective(schema, node, 'requiresScope') ?? []) {
    const hasScopes = args['scopes'] != null
    const hasAnyOf = args['anyOf'] != null
    if (hasScopes === hasAnyOf) {
      problem('@requiresScope needs exactly one of `scopes` or `anyOf`')
      continue
    }
    const req = hasScopes ? toDnf([args['scopes']]) : toDnf(args['anyOf'])
    if (req === null) problem(`@requiresScope(${hasScopes ? 'scopes' : 'anyOf'}:) must list scope names`)
    else if (isEmpty(req)) problem(`@requiresScope(${hasScopes ? 'scopes' : 'anyOf'}:) is empty; an empty list would grant access to anyone`)
    else parts.push(req)
  }
  for (const name of REQUIRES_SCOPES) {
    for (const args of getDirective(schema, node, name) ?? []) {
      const req = toDnf(args['scopes'])
      if (req === null) problem(`@${name}(scopes:) must be a list of lists of scope names`)
      else if (isEmpty(req)) problem(`@${name}(scopes:) is empty; an empty list would grant access to anyone`)
      else parts.push(req)
    }
  }
  const authenticated = AUTHENTICATED.some((name) => (getDirective(schema, node, name) ?? []).length > 0)
  if (authenticated) parts.push([[]])
  const isPublic = (getDirective(schema, node, 'public') ?? []).length > 0
  if (isPublic && parts.length > 0) problem('@public cannot be combined with another scope rule on the same field')

  if (declared !== null) {
    const unknown = new Set(parts.flat(2).filter((s) => !declared.has(s)))
    for (const scope of unknown) problem(`scope "${scope}" is not declared`)
  }
  const requirement = parts.length === 0 ? null : minimizeRequirement(parts.reduce((a, b) => andRequirements(a, b)))
  return { requirement, isPublic, hasDirective: isPublic || parts.length > 0 || problems.length > before }
}

// An empty list, or an empty alternative, would mean "anyone": refused so a slip cannot open a field.
function isEmpty(req: Requirement): boolean {
  return req.length === 0 || req.some((alt) => alt.length === 0)
}

function toDnf(value: unknown): Requirement | null {
  if (!Array.isArray(value)) return null
  const alts: string[][] = []
  for (const alt of value) {
    if (!Array.isArray(alt) || !alt.every((s): s is string => typeof s === 'string')) return null
    alts.push(alt)
  }
  return alts
}

/** A rule given in code (`options.rules`), checked as the same directive in SDL would be. */
export function codeRule(rule: 'public' | 'authenticated' | Requirement, coordinate: string, declared: ReadonlySet<string> | null, problems: BuildProblem[]): LocalRule {
  if (rule === 'public') return { requirement: null, isPublic: true, hasDirective: true }
  if (rule === 'authenticated') return { requirement: [[]], isPublic: false, hasDirective: true }
  const req = toDnf(rule)
  if (req === null || isEmpty(req)) {
    problems.push({ coordinate, message: "options.rules: a rule is 'public', 'authenticated' or a non-empty list of non-empty scope lists" })
    return { requirement: null, isPublic: false, hasDirective: true }
  }
  if (declared !== null) for (const scope of new Set(req.flat().filter((s) => !declared.has(s)))) problems.push({ coordinate, message: `scope "${scope}" is not declared` })
  return { requirement: minimizeRequirement(req), isPublic: false, hasDirective: true }
}
