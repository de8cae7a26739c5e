import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql'
import { analyzeOperation } from './analyze-operation.js'
import { operationRequirement } from './check-operation.js'
import { metadataOf } from './metadata.js'
import { andRequirements, minimizeRequirement, type Requirement } from './requirement.js'

/** Lexical tokens a document given as text may have (graphql-js's parser limit). */
export const MAX_DOCUMENT_TOKENS = 10_000

/**
 * What a token needs to run one operation whole, as minimal alternatives, least first
 * (for "issue me a token for exactly this operation"). Every field is assumed to run:
 * `@skip`/`@include` on variables are ignored, literal ones honoured.
 *
 * A document given as text is parsed (at most `MAX_DOCUMENT_TOKENS` tokens) and validated against
 * the schema, so a field that does not exist is an error, never "needs nothing". A `DocumentNode`
 * is taken as already validated: pass one only after `validate` (with your server's limits).
 * The analysis is bounded (see `OperationTooLargeError`), whatever the fragments expand to.
 */
export function requiredScopes(schema: GraphQLSchema, document: DocumentNode | string, operationName?: string): Requirement {
  const metadata = metadataOf(schema)
  const analysis = analyzeOperation(schema, metadata, toDocument(schema, document), operationName)
  return operationRequirement(analysis, metadata.closureIndex(), null)
}

/**
 * What one token needs to run every operation given (each as `requiredScopes`), and every extra
 * requirement in `also` (e.g. scopes named in arguments that the resolver checks), as one minimal
 * requirement under the current hierarchy, least first: `[tokens:read]` and `[tokens:write]`
 * together need only `[tokens:write]` when it implies the other.
 */
export function requiredScopesForOperations(
  schema: GraphQLSchema,
  operations: readonly { document: DocumentNode | string; operationName?: string }[],
  also: readonly Requirement[] = [],
): Requirement {
  const index = metadataOf(schema).closureIndex()
  let requirement: Requirement = []
  for (const { document, operationName } of operations) requirement = andRequirements(requirement, requiredScopes(schema, document, operationName), index)
  for (const extra of also) requirement = andRequirements(requirement, extra, index)
  return minimizeRequirement(requirement, index)
}

function toDocument(schema: GraphQLSchema, document: DocumentNode | string): DocumentNode {
  if (typeof document !== 'string') return document
  const doc = parse(document, { maxTokens: MAX_DOCUMENT_TOKENS })
  const errors = validate(schema, doc, undefined, { maxErrors: 10 })
  if (errors.length > 0) throw new GraphQLError(errors.map((e) => e.message).join('; '))
  return doc
}
