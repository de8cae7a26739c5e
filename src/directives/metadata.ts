import { getNamedType, isInterfaceType, isObjectType, type FieldNode, type GraphQLInterfaceType, type GraphQLObjectType, type GraphQLSchema } from 'graphql'
import { closureIndex, type ClosureIndex, type Implies } from './close-scopes.js'
import type { DeniedField } from './errors.js'
import { andRequirements, type Requirement } from './requirement.js'
import type { ScopeRules } from './validate-schema.js'

/** Options of `applyScopeDirectives`; see index.ts for the contract of each. */
export interface ScopeDirectiveOptions {
  scopesOf: (context: unknown) => Iterable<string> | null
  implies?: Implies | (() => Implies)
  declaredScopes?: Iterable<string>
  mode?: 'filter' | 'reject'
  onAuthorized?: (context: unknown, usedScopes: readonly string[], requiredScopes: readonly string[]) => void
  /**
   * Build error for a protected field of non-null type (mutation and subscription root fields
   * excepted: those are refused whole). A denied non-null field nulls its parent, up to the whole
   * `data`, so denial would lose fields the caller may read; nullable, it yields partial data.
   */
  nullableProtectedFields?: boolean
  /**
   * Rules set in code, by coordinate (`Type` or `Type.field`), replacing whatever the SDL states
   * there: for fields you cannot annotate (Federation's `Query._entities`, `Query._service`) or
   * rules an operator chooses at start. `'public'` and `'authenticated'` as the directives; a
   * requirement as `anyOf`. A coordinate that does not exist is a build error.
   */
  rules?: Readonly<Record<string, 'public' | 'authenticated' | Requirement>>
}

/** What a built schema knows about its scope rules, attached to the schema `applyScopeDirectives` returns. */
export interface ScopeMetadata {
  readonly options: ScopeDirectiveOptions
  readonly mode: 'filter' | 'reject'
  readonly rules: ScopeRules
  /** Own requirement of every object and interface field, by coordinate (`Type.field`). */
  readonly own: ReadonlyMap<string, Requirement>
  /** The current hierarchy snapshot (the getter, if one was given, is called each time). */
  closureIndex(): ClosureIndex
  /** Held scopes per request context, computed once per context object. */
  readonly heldByContext: WeakMap<object, HeldScopes>
}

/** The caller's scopes for one request: as held (`raw`), closed, and as a cache key. */
export interface HeldScopes {
  readonly raw: readonly string[] | null
  readonly closed: ReadonlySet<string> | null
  readonly key: string
  readonly index: ClosureIndex
}

const metadataBySchema = new WeakMap<GraphQLSchema, ScopeMetadata>()

/**
 * Denials decided before execution, per request context, read by the resolver wrappers: by field
 * node, then by response path (keys joined by `.`, no list indices). A node of a named fragment
 * is shared by every path the fragment is spread at, and may be denied at one and allowed at another.
 */
export type DeniedNodes = ReadonlyMap<FieldNode, ReadonlyMap<string, DeniedField>>
export const deniedByContext = new WeakMap<object, DeniedNodes>()

export function attachMetadata(schema: GraphQLSchema, metadata: ScopeMetadata): void {
  metadataBySchema.set(schema, metadata)
}

/** The metadata of a schema built by `applyScopeDirectives`; throws otherwise (fail closed). */
export function metadataOf(schema: GraphQLSchema): ScopeMetadata {
  const metadata = metadataBySchema.get(schema)
  if (metadata === undefined) {
    throw new Error('scope directives: this schema was not returned by applyScopeDirectives()')
  }
  return metadata
}

const EMPTY: Implies = Object.freeze({})

/** Builds the metadata of `schema` (own requirements of every field) from its rules. */
export function buildMetadata(schema: GraphQLSchema, rules: ScopeRules, options: ScopeDirectiveOptions): ScopeMetadata {
  const own = new Map<string, Requirement>()
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue
    for (const name of Object.keys(type.getFields())) own.set(`${type.name}.${name}`, ownRequirement(type, name, rules))
  }
  const { implies } = options
  return {
    options,
    mode: options.mode ?? 'filter',
    rules,
    own,
    closureIndex: () => closureIndex((typeof implies === 'function' ? implies() : implies) ?? EMPTY),
    heldByContext: new WeakMap(),
  }
}

/**
 * A field's own requirement on its type: the AND of the rules on the field, on its type, on the
 * same field and type of every interface the type implements, and on its named return type.
 */
function ownRequirement(type: GraphQLObjectType | GraphQLInterfaceType, name: string, rules: ScopeRules): Requirement {
  const field = type.getFields()[name]
  if (field === undefined) return []
  const sources = [`${type.name}.${name}`, type.name, getNamedType(field.type).name]
  for (const iface of type.getInterfaces()) {
    if (iface.getFields()[name] !== undefined) sources.push(`${iface.name}.${name}`, iface.name)
  }
  let req: Requirement = []
  for (const source of sources) {
    const local = rules.local.get(source)
    if (local !== undefined) req = andRequirements(req, local)
  }
  return req
}

/** The caller's scopes for `context`, cached per context object so a request pays once. */
export function heldScopesOf(metadata: ScopeMetadata, context: unknown): HeldScopes {
  const cacheable = typeof context === 'object' && context !== null
  if (cacheable) {
    const cached = metadata.heldByContext.get(context)
    if (cached !== undefined) return cached
  }
  const scopes = metadata.options.scopesOf(context)
  const index = metadata.closureIndex()
  let held: HeldScopes
  if (scopes == null) {
    held = { raw: null, closed: null, key: '\u0000', index }
  } else {
    const raw = [...new Set(scopes)].sort()
    const closed = new Set<string>()
    for (const s of raw) for (const c of index.closureOf(s)) closed.add(c)
    // JSON, not a join: scope names are arbitrary strings, and ["a b"] must never share a key with ["a", "b"].
    held = { raw, closed, key: JSON.stringify(raw), index }
  }
  if (cacheable) metadata.heldByContext.set(context, held)
  return held
}

/**
 * The scopes the caller actually holds that satisfy `alternative`: a required scope held as such
 * counts itself; one reached through the hierarchy counts the first held scope implying it.
 */
export function usedScopes(held: HeldScopes, alternative: readonly string[]): string[] {
  const raw = held.raw ?? []
  const used = new Set<string>()
  for (const s of alternative) {
    if (raw.includes(s)) used.add(s)
    else {
      const via = raw.find((h) => held.index.closureOf(h).has(s))
      if (via !== undefined) used.add(via)
    }
  }
  return [...used]
}
