import { GraphQLError, OperationTypeNode, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql'
import { checkOperation, forbiddenError } from '../directives/index.js'
import type { GraphQLContext } from './context.js'

/** What an operation sent over WebSocket meets before it runs: the limits /graphql applies. */
export interface LiveOperationPolicy {
  schema: GraphQLSchema
  /** The abuse limits' validation rules (src/graphql/abuse-limits.ts), besides graphql-js's own. */
  validationRules: readonly ValidationRule[]
  maxTokens: number
  maxQueryLength: number
}

/** An operation ready to subscribe: what graphql-ws executes, and what is checked again while it runs. */
export interface LiveOperation {
  document: DocumentNode
  operationName: string | undefined
  variableValues: Record<string, unknown> | undefined
}

/**
 * Checks one `subscribe` message as /graphql checks a request: query length before parsing, the
 * parser's token limit, validation with the abuse limits, then the directive engine over the whole
 * operation (all or nothing: a denied subscription never opens). Only subscriptions are served:
 * queries and mutations go over HTTP, where the rest of the request path applies.
 */
export function prepareLiveOperation(
  policy: LiveOperationPolicy,
  payload: { query: string; operationName?: string | null | undefined; variables?: Record<string, unknown> | null | undefined },
  contextValue: GraphQLContext,
): LiveOperation | readonly GraphQLError[] {
  const bad = (message: string) => [new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } })]
  if (payload.query.length > policy.maxQueryLength) return bad(`query is ${payload.query.length} characters; the limit is ${policy.maxQueryLength}`)
  let document: DocumentNode
  try {
    document = parse(payload.query, { maxTokens: policy.maxTokens })
  } catch (error) {
    return [error instanceof GraphQLError ? new GraphQLError(error.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } }) : bad('the query cannot be parsed')[0]!]
  }
  let errors: readonly GraphQLError[]
  try {
    errors = validate(policy.schema, document, [...specifiedRules, ...policy.validationRules])
  } catch (error) {
    // graphql-js 16 throws on `@include(if: $var)` at a subscription's root (SingleFieldSubscriptionsRule) instead of reporting it.
    return [new GraphQLError(error instanceof GraphQLError ? error.message : 'the document does not validate', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]
  }
  if (errors.length > 0) return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes ?? null, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }))
  const operationName = payload.operationName ?? undefined
  const operation = getOperationAST(document, operationName)
  if (!operation) return bad('no operation to run: name one with operationName')
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION) return bad(`only subscriptions are served over WebSocket; send a ${operation.operation} over HTTP`)
  const live: LiveOperation = { document, operationName, variableValues: payload.variables ?? undefined }
  const denied = deniedFields(policy.schema, live, contextValue)
  return denied.length > 0 ? denied : live
}

/** The directive engine's refusals of `operation` for the caller of `contextValue` (a fresh context each time: the engine caches held scopes per context object). */
export function deniedFields(schema: GraphQLSchema, operation: LiveOperation, contextValue: GraphQLContext): GraphQLError[] {
  const check = checkOperation({
    schema,
    document: operation.document,
    operationName: operation.operationName ?? null,
    variableValues: operation.variableValues ?? null,
    contextValue,
  })
  return check.denied.map(forbiddenError)
}
