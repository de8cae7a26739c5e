import {
  getNamedType,
  GraphQLError,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql'
import { LRUCache } from 'lru-cache'
import type { ClosureIndex } from './close-scopes.js'
import type { ScopeMetadata } from './metadata.js'
import { andRequirements, type Requirement } from './requirement.js'

/** A `@skip`/`@include` on a variable: the field runs only if the variable equals `runsIf`. */
export interface Condition {
  readonly variable: string
  readonly runsIf: boolean
}

/** One field node to check, with its own requirement as selected (AND over possible types). */
export interface CheckedField {
  readonly node: FieldNode
  readonly path: readonly string[]
  readonly pathKey: string
  readonly ancestorKeys: readonly string[]
  readonly coordinate: string
  readonly requirement: Requirement
  /** Index of the enclosing checked field, -1 at the root. Parents come first (pre-order). */
  readonly parent: number
  readonly conditions: readonly Condition[]
}

/** The request-independent part of a check: computed once per document and operation name. */
export interface OperationAnalysis {
  readonly operationType: 'query' | 'mutation' | 'subscription'
  readonly fields: readonly CheckedField[]
  /** Default values (boolean literals) of the operation's variables. */
  readonly defaults: ReadonlyMap<string, boolean>
  readonly variables: readonly string[]
  /** Per-request results keyed by condition values and held scopes; owned by check-operation. */
  readonly results: LRUCache<string, object>
  index: ClosureIndex | undefined
}

/** Per analysis, distinct (variables, held scopes) pairs whose results are kept; a small bound is enough in practice. */
const MAX_RESULTS = 64

/**
 * Cache policy (as every bounded cache of Scopeward): LRU with a max entry count; no TTL, since a
 * result is stale only when the scope hierarchy changes, and check-operation then clears it.
 */
function newResultCache(): LRUCache<string, object> {
  return new LRUCache({ max: MAX_RESULTS })
}

// An operation whose fragments expand past these is refused rather than analysed (fail closed):
// nested spreads can expand exponentially, and graphql-js would execute the expansion as well.
// Every selection visited counts (skipped ones, `__typename`, spreads), so the walk's work is
// bounded whatever the document holds, not just the fields it keeps.
const MAX_CHECKED_FIELDS = 20_000
export const MAX_VISITED_SELECTIONS = 50_000

/** Thrown when an operation expands past the analysis limits; no part of it is analysed. */
export class OperationTooLargeError extends GraphQLError {
  constructor(readonly visited: number) {
    super(`Operation is too large to authorize: its fragments expand past ${MAX_VISITED_SELECTIONS} selections or ${MAX_CHECKED_FIELDS} fields`, {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
    })
  }
}

const analyses = new WeakMap<ScopeMetadata, WeakMap<DocumentNode, Map<string, OperationAnalysis>>>()

/** The cached analysis of one operation of `document` (WeakMap: Apollo reuses parsed documents). */
export function analyzeOperation(schema: GraphQLSchema, metadata: ScopeMetadata, document: DocumentNode, operationName: string | null | undefined): OperationAnalysis {
  let byDocument = analyses.get(metadata)
  if (byDocument === undefined) analyses.set(metadata, (byDocument = new WeakMap()))
  let byName = byDocument.get(document)
  if (byName === undefined) byDocument.set(document, (byName = new Map<string, OperationAnalysis>()))
  const key = operationName ?? ''
  let analysis = byName.get(key)
  if (analysis === undefined) byName.set(key, (analysis = analyze(schema, metadata, document, operationName)))
  return analysis
}

function analyze(schema: GraphQLSchema, metadata: ScopeMetadata, document: DocumentNode, operationName: string | null | undefined): OperationAnalysis {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined
  // Client mistakes, answered 400 as Apollo answers an unknown operation name: a root type the
  // schema lacks (`subscription { a }` here) passes validation, so it first shows up here.
  const unresolvable = { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } }
  if (operation === undefined) {
    throw new GraphQLError(operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.', unresolvable)
  }
  const root = schema.getRootType(operation.operation)
  if (root == null) throw new GraphQLError(`Schema is not configured to execute ${operation.operation} operation.`, unresolvable)
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d)
  const defaults = new Map<string, boolean>()
  for (const v of operation.variableDefinitions ?? []) {
    if (v.defaultValue?.kind === Kind.BOOLEAN) defaults.set(v.variable.name.value, v.defaultValue.value)
  }

  const fields: CheckedField[] = []
  const variables = new Set<string>()
  const queryType = schema.getQueryType()
  const abstractMemo = new Map<string, Requirement>()
  let visited = 0

  const requirementOf = (parent: GraphQLCompositeType, possible: readonly GraphQLObjectType[], name: string): Requirement => {
    if (isObjectType(parent)) return metadata.own.get(`${parent.name}.${name}`) ?? []
    // Through an interface the field needs every possible implementor's requirement (as Apollo Router).
    const memoKey = `${name}\u0000${possible.map((t) => t.name).join('\u0000')}`
    let req = abstractMemo.get(memoKey)
    if (req === undefined) {
      req = possible.reduce<Requirement>((acc, t) => andRequirements(acc, metadata.own.get(`${t.name}.${name}`) ?? []), [])
      abstractMemo.set(memoKey, req)
    }
    return req
  }

  const walk = (
    set: SelectionSetNode,
    parent: GraphQLCompositeType,
    possible: readonly GraphQLObjectType[],
    path: readonly string[],
    parentIndex: number,
    conditions: readonly Condition[],
    spreading: ReadonlySet<string>,
  ): void => {
    for (const selection of set.selections) {
      if (++visited > MAX_VISITED_SELECTIONS) throw new OperationTooLargeError(visited)
      const conds = addConditions(conditions, selection.directives, variables)
      if (conds === null) continue // statically skipped: it never runs
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value
        // Meta-fields are exempt by their real name only; an alias cannot borrow the exemption.
        if (name === '__typename') continue
        if (parent === queryType && (name === '__schema' || name === '__type')) continue
        if (possible.length === 0) continue // no runtime type can reach it: it never runs
        const def = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined
        if (def === undefined) continue // unknown field: rejected by validation, never resolved
        if (fields.length >= MAX_CHECKED_FIELDS) throw new OperationTooLargeError(visited)
        const key = selection.alias?.value ?? name
        const childPath = [...path, key]
        const index = fields.length
        fields.push({
          node: selection,
          path: childPath,
          pathKey: childPath.join('.'),
          ancestorKeys: childPath.slice(0, -1).map((_, i) => childPath.slice(0, i + 1).join('.')),
          coordinate: `${parent.name}.${name}`,
          requirement: requirementOf(parent, possible, name),
          parent: parentIndex,
          conditions: conds,
        })
        if (selection.selectionSet !== undefined) {
          const type = getNamedType(def.type)
          walk(selection.selectionSet, type as GraphQLCompositeType, possibleTypes(schema, type), childPath, index, [], new Set())
        }
      } else {
        let type: GraphQLNamedType | undefined = parent
        let next = spreading
        let selectionSet: SelectionSetNode
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (selection.typeCondition !== undefined) type = schema.getType(selection.typeCondition.name.value) ?? undefined
          selectionSet = selection.selectionSet
        } else {
          const name = selection.name.value
          const fragment = fragments.get(name)
          if (fragment === undefined || spreading.has(name)) continue // cycles are invalid; never loop
          type = schema.getType(fragment.typeCondition.name.value) ?? undefined
          next = new Set(spreading).add(name)
          selectionSet = fragment.selectionSet
        }
        if (type === undefined || !(isObjectType(type) || isAbstractType(type))) continue
        const allowed = new Set(possibleTypes(schema, type))
        walk(
          selectionSet,
          type,
          possible.filter((t) => allowed.has(t)),
          path,
          parentIndex,
          conds,
          next,
        )
      }
    }
  }

  walk(operation.selectionSet, root, [root], [], -1, [], new Set())
  return { operationType: operation.operation, fields, defaults, variables: [...variables].sort(), results: newResultCache(), index: undefined }
}

function possibleTypes(schema: GraphQLSchema, type: GraphQLNamedType): readonly GraphQLObjectType[] {
  if (isObjectType(type)) return [type]
  return isAbstractType(type) ? schema.getPossibleTypes(type) : []
}

/** Adds the node's `@skip`/`@include`; null if a literal excludes it (it never runs). */
function addConditions(conditions: readonly Condition[], directives: readonly DirectiveNode[] | undefined, variables: Set<string>): readonly Condition[] | null {
  if (directives === undefined || directives.length === 0) return conditions
  let result = conditions
  for (const d of directives) {
    const name = d.name.value
    if (name !== 'skip' && name !== 'include') continue
    const value = d.arguments?.find((a) => a.name.value === 'if')?.value
    const runsIf = name === 'include'
    if (value?.kind === Kind.BOOLEAN) {
      if (value.value !== runsIf) return null
    } else if (value?.kind === Kind.VARIABLE) {
      variables.add(value.name.value)
      result = [...result, { variable: value.name.value, runsIf }]
    }
  }
  return result
}
