import type { ApolloServerOptionsWithGateway } from '@apollo/server'
import {
  execute,
  getVariableValues,
  GraphQLError,
  visit,
  BREAK,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SourceLocation,
} from 'graphql'
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit'
import { LRUCache } from 'lru-cache'

/** One operation to run: the validated document Apollo resolved, and the request's inputs. */
export interface ExecutionRequest {
  document: DocumentNode
  /** The operation Apollo chose (`getOperationAST`); undefined when none could be chosen. */
  operation: OperationDefinitionNode | undefined
  operationName: string | null | undefined
  variables: Record<string, unknown> | undefined
  contextValue: unknown
}

/** Runs validated operations of one schema. `stats`: executions run compiled, executions run by graphql-js, operations cached. */
export interface JitExecutor {
  execute(request: ExecutionRequest): Promise<ExecutionResult>
  readonly stats: { compiled: number; fallback: number; size: number }
}

/** Cached per operation: its compiled form, graphql-js for an operation graphql-jit must not run, or how often it ran before it is compiled. */
type Plan = CompiledQuery | 'graphql-js' | { uses: number }

/**
 * An executor that runs each operation as a graphql-jit compiled function, compiled once per
 * operation node (so per document and operation name) on its second use (`compileAfterUses`: after
 * one run by graphql-js) and kept in a bounded LRU. Whatever graphql-jit
 * cannot run as graphql-js would, graphql-js `execute` runs instead: an operation it cannot compile, one
 * using `@skip`/`@include` (graphql-jit records their conditions on the shared AST nodes, so one document's
 * operations could see each other's), and any request whose variables do not coerce (graphql-js's errors,
 * which Apollo answers 400 BAD_USER_INPUT). Errors come back as graphql-js `GraphQLError`s, as `execute` gives them.
 */
export function createJitExecutor(schema: GraphQLSchema, options: { maxOperations?: number; compileAfterUses?: number } = {}): JitExecutor {
  // Keyed by the operation's AST node: graphql-jit's `info.fieldNodes` are that document's nodes, which
  // the directive engine looks its per-request denials up by (src/directives/wrap-resolver.ts).
  const plans = new LRUCache<OperationDefinitionNode, Plan>({ max: options.maxOperations ?? 500 })
  // Compiling costs several times what validating does (docs/executor.md): an operation sent once is not worth it,
  // and a client sending ever new documents makes each request cost what it does with graphql-js.
  const compileAfterUses = options.compileAfterUses ?? 1
  const stats = { compiled: 0, fallback: 0 }

  const planFor = (document: DocumentNode, operation: OperationDefinitionNode): Plan => {
    const plan = plans.get(operation) ?? { uses: 0 }
    if (typeof plan !== 'object' || !('uses' in plan)) return plan
    if (plan.uses < compileAfterUses) {
      plans.set(operation, { uses: plan.uses + 1 })
      return plan
    }
    let next: Plan = 'graphql-js'
    if (!usesSkipOrInclude(document)) {
      const compiled = compileQuery(schema, document, operation.name?.value)
      if (isCompiledQuery(compiled)) next = compiled
    }
    plans.set(operation, next)
    return next
  }

  const runGraphqlJs = (request: ExecutionRequest): Promise<ExecutionResult> => {
    stats.fallback++
    return Promise.resolve(
      execute({
        schema,
        document: request.document,
        contextValue: request.contextValue,
        variableValues: request.variables,
        operationName: request.operationName,
      }),
    )
  }

  return {
    stats: {
      get compiled() {
        return stats.compiled
      },
      get fallback() {
        return stats.fallback
      },
      get size() {
        return plans.size
      },
    },
    async execute(request) {
      const { document, operation } = request
      if (operation === undefined) return runGraphqlJs(request)
      const plan = planFor(document, operation)
      if (plan === 'graphql-js' || 'uses' in plan) return runGraphqlJs(request)
      const inputs = request.variables ?? {}
      // graphql-js decides which variables are acceptable and words the refusal (Apollo keys BAD_USER_INPUT on it).
      if (operation.variableDefinitions !== undefined && operation.variableDefinitions.length > 0) {
        const coerced = getVariableValues(schema, operation.variableDefinitions, inputs)
        if (coerced.errors !== undefined) return runGraphqlJs(request)
      }
      const result = await plan.query(undefined, request.contextValue, inputs)
      // No data at all: graphql-jit refused the variables before running anything; graphql-js answers instead.
      if (result.data === undefined) return runGraphqlJs(request)
      stats.compiled++
      // graphql-js's key order (errors first), which Apollo keeps in the response text.
      return result.errors === undefined ? { data: result.data } : { errors: result.errors.map(asGraphQLError), data: result.data }
    },
  }
}

/**
 * Apollo Server's gateway interface over a fixed schema: Apollo parses, validates and runs every
 * plugin hook as usual, and hands execution to `executor` (docs/executor.md).
 */
export function jitGateway(schema: GraphQLSchema, executor: JitExecutor): ApolloServerOptionsWithGateway<never>['gateway'] {
  return {
    // Called once, on `start()`: the schema never changes.
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' })
      return () => {}
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- the gateway interface types this as promise-returning
    async load() {
      return {
        executor: (requestContext) => {
          // Typed as always there; undefined when Apollo could choose no operation (it then relies on execute's error).
          const operation: OperationDefinitionNode | undefined = requestContext.operation
          return executor.execute({
            document: requestContext.document,
            operation,
            operationName: requestContext.request.operationName,
            variables: requestContext.request.variables,
            contextValue: requestContext.context,
          })
        },
      }
    },
    async stop() {},
  }
}

/** True when some node of `document` carries `@skip` or `@include`. */
function usesSkipOrInclude(document: DocumentNode): boolean {
  let found = false
  visit(document, {
    Directive(node) {
      if (node.name.value === 'skip' || node.name.value === 'include') {
        found = true
        return BREAK
      }
      return undefined
    },
  })
  return found
}

const NON_NULL_VIOLATION = 'Cannot return null for non-nullable field '

/**
 * graphql-jit's error (its own constructor, `extensions` undefined unless the thrown error had some)
 * as graphql-js builds it with `locatedError`: a `GraphQLError` with the same message, locations and
 * path, `extensions` always an object, and as `originalError` the thrown error, or what graphql-js
 * throws where graphql-jit keeps only the message (an `Error` for a null in a non-null field, a
 * `GraphQLError` for a value that does not serialize), so Apollo and formatError treat both alike.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const original = error.originalError ?? (error.message.startsWith(NON_NULL_VIOLATION) ? new Error(error.message) : new GraphQLError(error.message))
  const located = new GraphQLError(error.message, {
    path: error.path,
    originalError: original,
    ...(error.extensions !== undefined ? { extensions: error.extensions } : {}),
  })
  ;(located as { locations: readonly SourceLocation[] | undefined }).locations = error.locations
  return located
}
