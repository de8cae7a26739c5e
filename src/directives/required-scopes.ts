import { parse, type DocumentNode, type GraphQLSchema } from 'graphql'
import { analyzeOperation } from './analyze-operation.js'
import { operationRequirement } from './check-operation.js'
import { metadataOf } from './metadata.js'
import type { Requirement } from './requirement.js'

/**
 * What a token needs to run one operation whole, as minimal alternatives, smallest first
 * (for "issue me a token for exactly this operation"). Every field is assumed to run:
 * `@skip`/`@include` on variables are ignored, literal ones honoured.
 */
export function requiredScopes(schema: GraphQLSchema, document: DocumentNode | string, operationName?: string): Requirement {
  const metadata = metadataOf(schema)
  const doc = typeof document === 'string' ? parse(document) : document
  const analysis = analyzeOperation(schema, metadata, doc, operationName)
  return operationRequirement(analysis, metadata.closureIndex(), null)
}
