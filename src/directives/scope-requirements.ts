import { isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql'
import { metadataOf } from './metadata.js'
import type { Requirement } from './requirement.js'

/** One field of the schema and what reaching it needs (its own requirement, not its path's). */
export interface FieldRequirement {
  readonly coordinate: string
  readonly requiredScopes: Requirement
  /** Whether a caller is needed at all (any rule, `@authenticated` included). */
  readonly authenticated: boolean
  /** Whether the field itself is marked `@public`. */
  readonly public: boolean
}

/**
 * Every field of every object and interface type (introspection types excluded), in schema
 * order, with its own requirement; backs `Query.scopeRequirements` and policy lockfiles.
 */
export function scopeRequirements(schema: GraphQLSchema): FieldRequirement[] {
  const metadata = metadataOf(schema)
  const list: FieldRequirement[] = []
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue
    for (const name of Object.keys(type.getFields())) {
      const coordinate = `${type.name}.${name}`
      const requiredScopes = metadata.own.get(coordinate) ?? []
      list.push({
        coordinate,
        requiredScopes,
        authenticated: requiredScopes.length > 0,
        public: metadata.rules.publicFields.has(coordinate),
      })
    }
  }
  return list
}
