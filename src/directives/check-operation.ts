import type { DocumentNode, FieldNode, GraphQLSchema } from 'graphql'
import { analyzeOperation, type OperationAnalysis } from './analyze-operation.js'
import type { ClosureIndex } from './close-scopes.js'
import type { DeniedField } from './errors.js'
import { deniedByContext, heldScopesOf, metadataOf, type DeniedNodes, type HeldScopes } from './metadata.js'
import { andRequirements, minimizeRequirement, missingScopes, requirementUnder, satisfies, type Requirement } from './requirement.js'

/** The decision for one operation and caller, made before anything executes. */
export interface OperationCheck {
  readonly operationType: 'query' | 'mutation' | 'subscription'
  /** What the whole operation needs (fields that run under the given variables), minimal DNF. */
  readonly requirement: Requirement
  /** Each field the caller may not reach, outermost only, one per response path. */
  readonly denied: readonly DeniedField[]
  /** Whether there is a caller at all (`scopesOf` returned non-null). */
  readonly authenticated: boolean
}

interface CachedResult {
  readonly check: OperationCheck
  readonly deniedNodes: DeniedNodes
}

/**
 * Checks `document` (the selected operation, fragments, aliases, `@skip`/`@include` under
 * `variableValues`) against the caller of `contextValue`, and records the denied field nodes for
 * that context so the wrapped resolvers deny exactly the same fields. Call it before `execute`.
 */
export function checkOperation(args: {
  schema: GraphQLSchema
  document: DocumentNode
  operationName?: string | null
  variableValues?: Record<string, unknown> | null
  contextValue: unknown
}): OperationCheck {
  const metadata = metadataOf(args.schema)
  const analysis = analyzeOperation(args.schema, metadata, args.document, args.operationName)
  const held = heldScopesOf(metadata, args.contextValue)
  if (analysis.index !== held.index) {
    analysis.results.clear() // the hierarchy changed: cached decisions may be stale
    analysis.index = held.index
  }
  const runs = conditionValues(analysis, args.variableValues)
  const key = `${runs}\u0001${held.key}`
  let result = analysis.results.get(key) as CachedResult | undefined
  if (result === undefined) {
    result = evaluate(analysis, held, runs)
    analysis.results.set(key, result)
  }
  const context = args.contextValue
  if (typeof context === 'object' && context !== null) {
    if (result.deniedNodes.size > 0) deniedByContext.set(context, result.deniedNodes)
    else deniedByContext.delete(context)
  }
  return result.check
}

/** One character per condition variable: `1` true, `0` false, `?` unknown (the field is checked). */
function conditionValues(analysis: OperationAnalysis, values: Record<string, unknown> | null | undefined): string {
  let key = ''
  for (const name of analysis.variables) {
    const v = values != null && Object.hasOwn(values, name) ? values[name] : analysis.defaults.get(name)
    key += v === true ? '1' : v === false ? '0' : '?'
  }
  return key
}

/** Whether a field's conditions let it run; unknown values count as running (fail closed). */
export function conditionsHold(analysis: OperationAnalysis, i: number, runs: string | null): boolean {
  const field = analysis.fields[i]
  if (field === undefined) return false
  if (runs === null) return true
  for (const c of field.conditions) {
    const v = runs[analysis.variables.indexOf(c.variable)]
    if (v !== '?' && (v === '1') !== c.runsIf) return false
  }
  return true
}

/** AND of the requirements of every field that runs (`runs` null: assume all run). */
export function operationRequirement(analysis: OperationAnalysis, index: ClosureIndex, runs: string | null): Requirement {
  const included = new Uint8Array(analysis.fields.length)
  // AND is idempotent and requirements are shared per coordinate: each distinct one is joined once,
  // so the work is bounded by the schema, not by how often a document repeats a field.
  const joined = new Set<Requirement>()
  let requirement: Requirement = []
  analysis.fields.forEach((f, i) => {
    if ((f.parent >= 0 && included[f.parent] === 0) || !conditionsHold(analysis, i, runs)) return
    included[i] = 1
    if (joined.has(f.requirement)) return
    joined.add(f.requirement)
    requirement = andRequirements(requirement, f.requirement, index)
  })
  // Also when one field decided it alone (andRequirements returns it unchanged): least first under the hierarchy.
  return minimizeRequirement(requirement, index)
}

function evaluate(analysis: OperationAnalysis, held: HeldScopes, runs: string): CachedResult {
  const { fields } = analysis
  // reached: runs, and its parent node was reached and allowed (a child of a denied field never runs).
  const reached = new Uint8Array(fields.length)
  const deniedPaths = new Set<string>()
  fields.forEach((f, i) => {
    if ((f.parent >= 0 && reached[f.parent] !== 1) || !conditionsHold(analysis, i, runs)) return
    const allowed = satisfies(f.requirement, held.closed)
    reached[i] = allowed ? 1 : 2
    if (!allowed) deniedPaths.add(f.pathKey)
  })
  const denied: DeniedField[] = []
  const deniedNodes = new Map<FieldNode, Map<string, DeniedField>>()
  const reported = new Set<string>()
  fields.forEach((f, i) => {
    if (reached[i] !== 2) return
    // Below a denied path nothing runs (merged selections share the path), so nothing is reported.
    if (f.ancestorKeys.some((k) => deniedPaths.has(k))) return
    const requirement = requirementUnder(f.requirement, held.index)
    const d: DeniedField = Object.freeze({
      path: f.path,
      coordinate: f.coordinate,
      requiredScopes: requirement,
      missingScopes: missingScopes(requirement, held.closed, held.index),
      reason: held.closed === null ? 'UNAUTHENTICATED' : 'FORBIDDEN',
    })
    let byPath = deniedNodes.get(f.node)
    if (byPath === undefined) deniedNodes.set(f.node, (byPath = new Map<string, DeniedField>()))
    byPath.set(f.pathKey, d)
    if (!reported.has(f.pathKey)) {
      reported.add(f.pathKey)
      denied.push(d)
    }
  })
  const check: OperationCheck = Object.freeze({
    operationType: analysis.operationType,
    requirement: operationRequirement(analysis, held.index, runs),
    denied: Object.freeze(denied),
    authenticated: held.closed !== null,
  })
  return { check, deniedNodes }
}
