import { parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql'
import { badInput } from '../errors.js'
import { DEFAULT_LIMITS, type AbuseLimits } from './abuse-limits.js'

/** How a server accepts a GraphQL document from a client: its limits, rules and whether errors may suggest names. */
export interface DocumentPolicy {
  readonly limits: AbuseLimits
  /** The server's extra validation rules (depth, aliases, directives, cost, root fields, list product). */
  readonly validationRules: readonly ValidationRule[]
  /** "Did you mean …" in error messages; off whenever introspection is off. */
  readonly suggestions: boolean
}

const policies = new WeakMap<GraphQLSchema, DocumentPolicy>()

/** Registers the policy /graphql applies, so documents arriving as arguments get exactly the same. */
export function setDocumentPolicy(schema: GraphQLSchema, policy: DocumentPolicy): void {
  policies.set(schema, policy)
}

// Fail closed: a schema nobody registered gets the default limits, and no suggestions.
const FALLBACK: DocumentPolicy = { limits: DEFAULT_LIMITS, validationRules: [], suggestions: false }

/**
 * Parses and validates a GraphQL document a client sent inside an argument (`requiredScopes(document)`,
 * `issueToken(forOperations)`) exactly as /graphql does a request: the length limit before parsing,
 * the parser's token limit, graphql-js's rules and the server's own. Refused with BAD_USER_INPUT naming `field`.
 */
export function parseClientDocument(schema: GraphQLSchema, source: string, field: string): DocumentNode {
  const policy = policies.get(schema) ?? FALLBACK
  const { maxQueryLength, maxTokens } = policy.limits
  if (source.length > maxQueryLength) throw badInput(field, `${field}: the document is ${source.length} characters; the limit is ${maxQueryLength}`)
  let document: DocumentNode
  try {
    document = parse(source, { maxTokens })
  } catch (error) {
    throw badInput(field, `${field}: ${withoutSuggestions((error as Error).message, policy.suggestions)}`)
  }
  const errors = validate(schema, document, [...specifiedRules, ...policy.validationRules], { maxErrors: 10 })
  if (errors.length > 0) throw badInput(field, `${field}: ${errors.map((e) => withoutSuggestions(e.message, policy.suggestions)).join('; ')}`)
  return document
}

/**
 * A message with graphql-js's suggestions ("Did you mean …?", for fields, arguments, types and enum
 * values alike) removed, unless they are allowed: with introspection off they would reveal the schema.
 */
export function withoutSuggestions(message: string, allowed = false): string {
  return allowed ? message : message.replace(/ ?Did you mean [^?]*\?/g, '')
}
