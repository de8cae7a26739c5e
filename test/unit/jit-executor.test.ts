import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { execute, getOperationAST, print, GraphQLError, parse, validate, type DocumentNode, type ExecutionResult } from 'graphql'
import { createJitExecutor, type JitExecutor } from '../../src/graphql/jit-executor.js'

// The executor against graphql-js `execute` on one schema: the same documents must give the same
// data and the same errors (message, locations, path, extensions, original error), whichever runs them.

class NotFound extends Error {
  readonly extensions = { code: 'NOT_FOUND' }
}

const schema = makeExecutableSchema({
  typeDefs: /* GraphQL */ `
    interface Node {
      id: ID!
    }
    type Book implements Node {
      id: ID!
      title: String!
      pages: Int
      author: Person
    }
    type Person implements Node {
      id: ID!
      name: String
      books: [Book!]
    }
    union Item = Book | Person
    type Query {
      book(id: ID!): Book
      node(id: ID!): Node
      items: [Item]
      books(first: Int!): [Book!]!
      fails: String
      failsWithCode: String
      nullInNonNull: Book
      asyncNullInNonNull: [Book!]
      badInt: Int
      echo(text: String, times: Int = 1): String
    }
  `,
  resolvers: {
    Node: { __resolveType: (v: { kind: string }) => v.kind },
    Item: { __resolveType: (v: { kind: string }) => v.kind },
    Query: {
      book: (_: unknown, { id }: { id: string }) => (id === 'b1' ? { kind: 'Book', id: 'b1', title: 'Dune', pages: 412, authorId: 'p1' } : null),
      node: (_: unknown, { id }: { id: string }) => (id.startsWith('b') ? { kind: 'Book', id, title: `T${id}` } : { kind: 'Person', id, name: `N${id}` }),
      items: () => [{ kind: 'Book', id: 'b2', title: 'Emma' }, null, { kind: 'Person', id: 'p1', name: 'Ada' }],
      books: (_: unknown, { first }: { first: number }) => Array.from({ length: first }, (_v, i) => ({ kind: 'Book', id: `b${i}`, title: `T${i}` })),
      fails: () => {
        throw new Error('boom')
      },
      failsWithCode: () => Promise.reject(new NotFound('no such thing')),
      nullInNonNull: () => ({ kind: 'Book', id: 'b9', title: null }),
      asyncNullInNonNull: () => Promise.resolve([{ kind: 'Book', id: 'b1', title: 'A' }, null]),
      badInt: () => 'not a number',
      echo: (_: unknown, { text, times }: { text: string | null; times: number }) => (text ?? '').repeat(times),
    },
    Book: { author: (b: { authorId?: string }) => (b.authorId ? Promise.resolve({ kind: 'Person', id: b.authorId, name: 'Frank' }) : null) },
    Person: { books: () => [{ kind: 'Book', id: 'b1', title: 'Dune' }] },
  },
})

/** An executor that compiles an operation at its first use (the default waits for the second). */
const compiling = (options: { maxOperations?: number } = {}): JitExecutor => createJitExecutor(schema, { compileAfterUses: 0, ...options })

/** Runs `source` through both executors (a fresh JIT executor unless one is given); returns both results. */
async function both(source: string | DocumentNode, variables?: Record<string, unknown>, operationName?: string, executor: JitExecutor = compiling()) {
  // Apollo hands the executor the same parsed document for the same text (its document store): so does a test passing a DocumentNode.
  const document = typeof source === 'string' ? parse(source) : source
  assert.deepEqual(validate(schema, document), [], 'test document must be valid')
  const operation = getOperationAST(document, operationName) ?? undefined
  const jit = await executor.execute({ document, operation, operationName, variables, contextValue: {} })
  const reference = await execute({ schema, document, variableValues: variables, operationName, contextValue: {} })
  return { jit, reference, executor }
}

/** Data and errors as a client receives them, plus what Apollo's error handling reads off each error. */
function observable(result: ExecutionResult) {
  return {
    json: JSON.parse(JSON.stringify(result)) as unknown,
    errors: (result.errors ?? []).map((e) => ({
      isGraphQLError: e instanceof GraphQLError,
      extensions: { ...e.extensions },
      original: e.originalError ? { constructor: e.originalError.constructor.name, message: e.originalError.message } : null,
    })),
  }
}

function assertSameResult(jit: ExecutionResult, reference: ExecutionResult, source: string): void {
  assert.deepEqual(observable(jit), observable(reference), source)
}

describe('JIT executor', () => {
  it('gives the results graphql-js gives on a set of documents', async () => {
    const documents: [string, Record<string, unknown>?][] = [
      ['{ book(id: "b1") { id title pages author { id name } } }'],
      ['{ book(id: "nope") { id } }'],
      ['{ a: book(id: "b1") { t: title } b: book(id: "b1") { id ...F } } fragment F on Book { title pages }'],
      ['{ node(id: "b3") { id __typename ... on Book { title } ... on Person { name } } }'],
      ['{ items { __typename ... on Node { id } ... on Book { title } ... on Person { name books { id } } } }'],
      ['query ($n: Int!) { books(first: $n) { id title } }', { n: 3 }],
      ['query ($t: String, $k: Int) { echo(text: $t, times: $k) }', { t: 'ab', k: 3 }],
      ['query ($t: String) { echo(text: $t) }', {}],
      ['{ fails book(id: "b1") { id } }'],
      ['{ failsWithCode }'],
      ['{ nullInNonNull { id title } book(id: "b1") { id } }'],
      ['{ asyncNullInNonNull { id title } }'],
      ['{ badInt }'],
      ['{ __typename __schema { queryType { name } } }'],
    ]
    const executor = compiling()
    for (const [source, variables] of documents) {
      const { jit, reference } = await both(source, variables, undefined, executor)
      assertSameResult(jit, reference, source)
    }
    assert.equal(executor.stats.fallback, 0, 'every document above runs compiled')
    assert.equal(executor.stats.compiled, documents.length)
  })

  it('reports a failing resolver as graphql-js does: message, locations, path, the thrown error and its code', async () => {
    const { jit, reference } = await both('{\n  book(id: "b1") { id }\n  failsWithCode\n}')
    assertSameResult(jit, reference, 'failsWithCode')
    const [error] = jit.errors ?? []
    assert.deepEqual(error?.locations, [{ line: 3, column: 3 }])
    assert.deepEqual(error?.path, ['failsWithCode'])
    assert.equal(error?.extensions.code, 'NOT_FOUND')
    assert.ok(error?.originalError instanceof NotFound)
    assert.deepEqual(jit.data, { book: { id: 'b1' }, failsWithCode: null })
  })

  it('bubbles a null in a non-null field to the nearest nullable parent, with graphql-js error', async () => {
    const { jit, reference } = await both('{ nullInNonNull { id title } asyncNullInNonNull { id } }')
    assertSameResult(jit, reference, 'null bubbling')
    assert.deepEqual(jit.data, { nullInNonNull: null, asyncNullInNonNull: null })
    assert.deepEqual(
      jit.errors?.map((e) => [e.message, e.path]),
      [
        ['Cannot return null for non-nullable field Book.title.', ['nullInNonNull', 'title']],
        ['Cannot return null for non-nullable field Query.asyncNullInNonNull.', ['asyncNullInNonNull', 1]],
      ],
    )
  })

  it('leaves variables that do not coerce to graphql-js: its errors, no data, nothing run', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['query ($n: Int!) { books(first: $n) { id } }', {}],
      ['query ($n: Int!) { books(first: $n) { id } }', { n: 'three' }],
      ['query ($n: Int!) { books(first: $n) { id } }', { n: 2 ** 40 }],
      ['query ($t: String) { echo(text: $t) }', { t: { not: 'a string' } }],
    ]
    for (const [source, variables] of cases) {
      const { jit, reference, executor } = await both(source, variables)
      assertSameResult(jit, reference, `${source} ${JSON.stringify(variables)}`)
      assert.equal(jit.data, undefined)
      assert.ok((jit.errors ?? []).length > 0)
      assert.equal(executor.stats.fallback, 1, 'graphql-js answered')
    }
  })

  it('compiles each operation of a document apart, chosen by operationName', async () => {
    const executor = compiling()
    const source = parse('query A { book(id: "b1") { title } } query B { node(id: "p7") { id } }')
    const a = await both(source, undefined, 'A', executor)
    const b = await both(source, undefined, 'B', executor)
    assert.deepEqual(a.jit, { data: { book: { title: 'Dune' } } })
    assert.deepEqual(b.jit, { data: { node: { id: 'p7' } } })
    assert.equal(executor.stats.size, 2)
    // The same operation of the same document again is served from the cache: no new entry, the same answer.
    const again = await both(source, undefined, 'A', executor)
    assert.deepEqual(again.jit, a.jit)
    assert.equal(executor.stats.size, 2)
    assert.equal(executor.stats.compiled, 3)
    // The same text parsed again is another document (Apollo parses again only after its document store dropped it): compiled anew.
    await both(print(source), undefined, 'B', executor)
    assert.equal(executor.stats.size, 3)
  })

  it('keeps at most maxOperations compiled operations, dropping the least recently used', async () => {
    const executor = compiling({ maxOperations: 2 })
    for (const id of ['b1', 'b2', 'b3', 'b4']) {
      const { jit } = await both(`{ node(id: "${id}") { id } }`, undefined, undefined, executor)
      assert.deepEqual(jit, { data: { node: { id } } })
    }
    assert.equal(executor.stats.size, 2)
  })

  it('by default runs an operation with graphql-js at its first use and compiled from its second', async () => {
    const executor = createJitExecutor(schema)
    const document = parse('{ book(id: "b1") { id title author { name } } }')
    const first = await both(document, undefined, undefined, executor)
    assert.deepEqual([executor.stats.fallback, executor.stats.compiled], [1, 0])
    const second = await both(document, undefined, undefined, executor)
    const third = await both(document, undefined, undefined, executor)
    assert.deepEqual([executor.stats.fallback, executor.stats.compiled], [1, 2])
    for (const run of [first, second, third]) assertSameResult(run.jit, run.reference, 'book')
    // A document sent once is never compiled: a stream of new documents costs what graphql-js costs.
    for (let i = 0; i < 5; i++) await both(`{ node(id: "b${i}") { id } }`, undefined, undefined, executor)
    assert.deepEqual([executor.stats.fallback, executor.stats.compiled], [6, 2])
  })

  it('runs a document using @skip or @include with graphql-js', async () => {
    const executor = compiling()
    const source = 'query ($x: Boolean!) { book(id: "b1") { id title @include(if: $x) pages @skip(if: $x) } }'
    for (const x of [true, false]) {
      const { jit, reference } = await both(source, { x }, undefined, executor)
      assertSameResult(jit, reference, `x=${x}`)
    }
    assert.equal(executor.stats.compiled, 0)
    assert.equal(executor.stats.fallback, 2)
  })

  it('runs with graphql-js when no operation was chosen (several operations, no operationName)', async () => {
    const { jit, reference, executor } = await both('query A { fails } query B { fails }')
    assertSameResult(jit, reference, 'no operation')
    assert.equal(jit.errors?.[0]?.message, 'Must provide operation name if query contains multiple operations.')
    assert.equal(executor.stats.fallback, 1)
  })
})
