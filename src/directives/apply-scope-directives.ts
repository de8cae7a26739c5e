import { isInterfaceType, isNonNullType, isObjectType, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql'
import { MapperKind, mapSchema } from '@graphql-tools/utils'
import { ScopeDirectiveBuildError, type BuildProblem } from './errors.js'
import { attachMetadata, buildMetadata, type ScopeDirectiveOptions, type ScopeMetadata } from './metadata.js'
import { describeRequirement } from './requirement.js'
import { validateScopeDirectives } from './validate-schema.js'
import { wrapResolver } from './wrap-resolver.js'

/**
 * Validates the scope directives of `schema` (throwing one `ScopeDirectiveBuildError` that lists
 * every offender) and returns a new schema whose resolvers enforce them, whose field descriptions
 * state them, and which `checkOperation` and the Apollo plugin recognise. The input is not changed.
 */
export function applyScopeDirectives(schema: GraphQLSchema, options: ScopeDirectiveOptions): GraphQLSchema {
  const rules = validateScopeDirectives(schema, options.declaredScopes, options.rules)
  const metadata = buildMetadata(schema, rules, options)
  if (options.nullableProtectedFields === true) {
    const problems = nonNullProtectedFields(schema, metadata)
    if (problems.length > 0) throw new ScopeDirectiveBuildError(problems)
  }
  const subscriptionType = schema.getSubscriptionType()?.name
  const implementors = new Set(
    Object.values(schema.getTypeMap())
      .filter((t) => 'getInterfaces' in t && t.getInterfaces().length > 0)
      .map((t) => t.name),
  )

  const mapped = mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (config, fieldName, typeName) => {
      const coordinate = `${typeName}.${fieldName}`
      const requirement = metadata.own.get(coordinate) ?? []
      // Implementors are wrapped even when open: a selection through an interface can be denied
      // by another implementor's rule, and only the wrapper sees the concrete runtime type.
      if (requirement.length === 0 && !implementors.has(typeName)) return config
      const wrapped: GraphQLFieldConfig<unknown, unknown> = {
        ...annotate(config, metadata, coordinate),
        resolve: wrapResolver(metadata, coordinate, requirement, config.resolve),
      }
      // A subscription's `subscribe` opens the stream: it must not run for a denied caller either.
      // Without one, graphql-js opens the stream from `rootValue[field]`: wrapped as well (defaultFieldResolver).
      if (typeName === subscriptionType) {
        wrapped.subscribe = wrapResolver(metadata, coordinate, requirement, config.subscribe)
      }
      return wrapped
    },
    [MapperKind.INTERFACE_FIELD]: (config, fieldName, typeName) => annotate(config, metadata, `${typeName}.${fieldName}`),
  })
  attachMetadata(mapped, metadata)
  return mapped
}

function annotate<C extends { description?: string | null | undefined }>(config: C, metadata: ScopeMetadata, coordinate: string): C {
  const requirement = metadata.own.get(coordinate) ?? []
  if (requirement.length === 0) return config
  // "scope tokens:read" → "Requires scope: tokens:read"; "authentication" → "Requires authentication".
  const line = `Requires ${describeRequirement(requirement).replace(/^(scopes?) /, '$1: ')}`
  return { ...config, description: config.description ? `${config.description}\n\n${line}` : line }
}

/**
 * Protected fields (a rule of their own, their type's, an interface's or their return type's; for
 * an interface field, any implementor's too) whose type is non-null, outside the mutation and
 * subscription roots.
 */
function nonNullProtectedFields(schema: GraphQLSchema, metadata: ScopeMetadata): BuildProblem[] {
  const problems: BuildProblem[] = []
  const atomicRoots = new Set([schema.getMutationType()?.name, schema.getSubscriptionType()?.name])
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || atomicRoots.has(type.name) || !(isObjectType(type) || isInterfaceType(type))) continue
    const implementations = isInterfaceType(type) ? schema.getPossibleTypes(type) : []
    for (const field of Object.values(type.getFields())) {
      if (!isNonNullType(field.type)) continue
      const guarded = [type, ...implementations].some((t) => (metadata.own.get(`${t.name}.${field.name}`) ?? []).length > 0)
      if (guarded) {
        problems.push({
          coordinate: `${type.name}.${field.name}`,
          message: `protected field has non-null type ${String(field.type)}: make it nullable, so that a denial yields partial data instead of nulling its parent`,
        })
      }
    }
  }
  return problems
}
