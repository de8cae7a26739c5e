import { MapperKind, mapSchema } from '@graphql-tools/utils'
import { defaultFieldResolver, isInputObjectType, isListType, isNonNullType, isScalarType, type GraphQLInputType, type GraphQLSchema } from 'graphql'
import { checkInputString } from '../domain/validate.js'

/** Inputs that carry GraphQL documents: newlines and tabs are layout there, and the query-length limit bounds them. */
const DOCUMENT_INPUTS = new Set(['Query.requiredScopes.document', 'IssueTokenInput.forOperations'])

/** True when a value of `type` may hold a string somewhere (String, ID, a custom scalar, or an input object or list of them). */
function carriesText(type: GraphQLInputType, seen = new Set<string>()): boolean {
  if (isNonNullType(type) || isListType(type)) return carriesText(type.ofType, seen)
  if (isScalarType(type)) return type.name !== 'Int' && type.name !== 'Float' && type.name !== 'Boolean'
  if (isInputObjectType(type)) {
    if (seen.has(type.name)) return false
    seen.add(type.name)
    return Object.values(type.getFields()).some((f) => carriesText(f.type, seen))
  }
  return false
}

/** Checks every string inside an argument value against checkInputString, naming its path (`filter.scope`, `scopes[2]`). */
function checkValue(value: unknown, type: GraphQLInputType, path: string, coordinate: string): void {
  if (value === null || value === undefined) return
  if (isNonNullType(type)) return checkValue(value, type.ofType, path, coordinate)
  if (isListType(type)) {
    if (Array.isArray(value)) value.forEach((item, i) => checkValue(item, type.ofType, `${path}[${i}]`, coordinate))
    return
  }
  if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields()))
      checkValue((value as Record<string, unknown>)[field.name], field.type, `${path}.${field.name}`, `${type.name}.${field.name}`)
    return
  }
  if (typeof value === 'string') checkInputString(value, path.replace(/^input\./, ''), { document: DOCUMENT_INPUTS.has(coordinate) })
}

/**
 * Every String, ID and custom-scalar argument of every field is checked in one place before its
 * resolver runs (well-formed, no control characters, bounded: see domain/validate.ts), so a new
 * argument cannot be forgotten. A refusal is BAD_USER_INPUT naming the argument; nothing runs.
 */
export function validateStringArguments(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (config, fieldName, typeName) => {
      const checked = Object.entries(config.args ?? {}).filter(([, arg]) => carriesText(arg.type))
      if (checked.length === 0) return config
      const resolve = config.resolve ?? defaultFieldResolver
      return {
        ...config,
        resolve: (source, args: Record<string, unknown>, context, info) => {
          for (const [name, arg] of checked) checkValue(args[name], arg.type, name, `${typeName}.${fieldName}.${name}`)
          return resolve(source, args, context, info)
        },
      }
    },
  })
}
