import assert from 'node:assert/strict'
import { ApolloServer } from '@apollo/server'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { execute, parse, validate, type ExecutionResult, type GraphQLSchema } from 'graphql'
import { applyScopeDirectives, checkOperation, scopeAuthorizationPlugin, scopeDirectiveTypeDefs, type OperationCheck } from '../../src/directives/index.js'
import type { ScopeDirectiveOptions } from '../../src/directives/index.js'

export interface TestContext {
  scopes: string[] | null
}

/** Builds a schema from SDL (our directive SDL prepended) with scopes read from `context.scopes`. */
export function buildScopedSchema(typeDefs: string, resolvers: Record<string, unknown> = {}, options: Partial<ScopeDirectiveOptions> = {}): GraphQLSchema {
  return applyScopeDirectives(makeExecutableSchema({ typeDefs: [scopeDirectiveTypeDefs, typeDefs], resolvers: resolvers as never }), {
    scopesOf: (context) => (context as TestContext).scopes,
    ...options,
  })
}

export interface Run {
  check: OperationCheck
  result: ExecutionResult | undefined
}

/** checkOperation, then execute as the plain graphql-js recipe does (mutations: nothing if denied). */
export async function run(schema: GraphQLSchema, scopes: string[] | null, source: string, variableValues?: Record<string, unknown>): Promise<Run> {
  const document = parse(source)
  assert.deepEqual(validate(schema, document), [], 'test operation must be valid')
  const contextValue: TestContext = { scopes }
  const check = checkOperation({ schema, document, variableValues: variableValues ?? null, contextValue })
  if (check.operationType !== 'query' && check.denied.length > 0) return { check, result: undefined }
  const result = await execute({ schema, document, variableValues, contextValue })
  // graphql-js builds null-prototype objects; plain ones compare with deepEqual.
  return { check, result: { ...result, data: result.data == null ? result.data : JSON.parse(JSON.stringify(result.data)) } }
}

/** Runs the operation and asserts nothing is denied, statically or at execution; returns data. */
export async function expectAllowed(schema: GraphQLSchema, scopes: string[] | null, source: string, variables?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { check, result } = await run(schema, scopes, source, variables)
  assert.deepEqual(check.denied, [], `expected no denial, got ${JSON.stringify(check.denied)}`)
  assert.ok(result !== undefined)
  assert.equal(result.errors, undefined, `expected no errors, got ${JSON.stringify(result.errors)}`)
  return result.data as Record<string, unknown>
}

export interface ExpectedDenial {
  path: string[]
  code: 'FORBIDDEN' | 'UNAUTHENTICATED'
  missingScopes?: string[]
}

/**
 * Asserts exactly these denials from checkOperation and, for queries, exactly these errors at
 * execution (list indices removed from paths), with null at each. Returns the run.
 */
export async function expectDenied(schema: GraphQLSchema, scopes: string[] | null, source: string, expected: ExpectedDenial[], variables?: Record<string, unknown>): Promise<Run> {
  const r = await run(schema, scopes, source, variables)
  const sort = <T extends { path: readonly unknown[] }>(xs: T[]): T[] => [...xs].sort((a, b) => a.path.join('.').localeCompare(b.path.join('.')))
  assert.deepEqual(
    sort(r.check.denied.map((d) => ({ path: [...d.path], code: d.reason, ...(expected.some((e) => e.missingScopes) ? { missingScopes: [...d.missingScopes] } : {}) }))),
    sort(expected.map((e) => ({ path: e.path, code: e.code, ...(e.missingScopes ? { missingScopes: e.missingScopes } : {}) }))),
  )
  if (r.result !== undefined) {
    const errors = (r.result.errors ?? []).map((e) => ({ path: (e.path ?? []).filter((p) => typeof p === 'string'), code: e.extensions['code'] }))
    const expectedErrors = expected.map((e) => ({ path: e.path, code: e.code }))
    assert.deepEqual(sort(dedupe(errors)), sort(expectedErrors), `execution errors: ${JSON.stringify(r.result.errors)}`)
    for (const e of r.result.errors ?? []) assert.equal(valueAt(r.result.data, e.path ?? []), null)
  }
  return r
}

function dedupe<T extends { path: string[] }>(xs: T[]): T[] {
  const seen = new Set<string>()
  return xs.filter((x) => !seen.has(x.path.join('.')) && seen.add(x.path.join('.')) !== undefined)
}

/** The value at a response path (numbers index lists); undefined if absent. */
export function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = data
  for (const k of path) {
    if (v === null || v === undefined) return v
    v = (v as Record<string | number, unknown>)[k]
  }
  return v
}

export interface ApolloResult {
  status: number | undefined
  headers: Map<string, string>
  data: Record<string, unknown> | null | undefined
  errors: readonly { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[] | undefined
}

/** Runs one operation through Apollo Server 5 with the plugin installed. */
export async function apolloRequest(
  schema: GraphQLSchema,
  scopes: string[] | null,
  query: string,
  variables?: Record<string, unknown>,
  pluginOptions?: { mode?: 'filter' | 'reject' },
): Promise<ApolloResult> {
  const server = new ApolloServer<TestContext>({ schema, plugins: [scopeAuthorizationPlugin(pluginOptions)] })
  await server.start()
  try {
    const response = await server.executeOperation(variables === undefined ? { query } : { query, variables }, { contextValue: { scopes } })
    assert.equal(response.body.kind, 'single')
    const single = response.body.kind === 'single' ? response.body.singleResult : undefined
    return {
      status: response.http.status,
      headers: new Map(response.http.headers),
      data: single?.data,
      errors: single?.errors as ApolloResult['errors'],
    }
  } finally {
    await server.stop()
  }
}
