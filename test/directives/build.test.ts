import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { execute, isObjectType, parse } from 'graphql'
import { applyScopeDirectives, closeScopes, requiredScopes, ScopeDirectiveBuildError, scopeDirectiveTypeDefs, scopeRequirements } from '../../src/directives/index.js'
import { buildScopedSchema, expectAllowed, expectDenied } from './harness.js'
import { fixtureSchema } from './fixture.js'

/** Builds and returns the build error (failing the test if the build succeeds). */
function buildError(typeDefs: string, declaredScopes?: string[]): ScopeDirectiveBuildError {
  let caught: unknown
  try {
    buildScopedSchema(typeDefs, {}, declaredScopes ? { declaredScopes } : {})
  } catch (e) {
    caught = e
  }
  assert.ok(caught instanceof ScopeDirectiveBuildError, `expected a ScopeDirectiveBuildError, got ${String(caught)}`)
  return caught
}

describe('build-time errors', () => {
  const cases: [string, string, RegExp][] = [
    ['type Query { a: String }', 'Query.a', /default deny/],
    ['type Query { a: String @requiresScope }', 'Query.a', /exactly one/],
    ['type Query { a: String @requiresScope(scopes: ["x"], anyOf: [["y"]]) }', 'Query.a', /exactly one/],
    ['type Query { a: String @requiresScope(scopes: []) }', 'Query.a', /empty/],
    ['type Query { a: String @requiresScope(anyOf: []) }', 'Query.a', /empty/],
    ['type Query { a: String @requiresScope(anyOf: [[]]) }', 'Query.a', /empty/],
    ['type Query { a: String @requiresScope(anyOf: [["x"], []]) }', 'Query.a', /empty/],
    ['type Query { a: String @public @authenticated }', 'Query.a', /@public cannot be combined/],
    ['type Query { a: String @public } type Mutation { m: String }', 'Mutation.m', /default deny/],
    ['type Query { a: String @public } type T @requiresScope(scopes: []) { x: String }', 'T', /empty/],
  ]
  for (const [sdl, coordinate, message] of cases) {
    it(`refuses ${sdl}, naming ${coordinate}`, () => {
      const error = buildError(sdl)
      assert.equal(error.problems.length, 1, JSON.stringify(error.problems))
      assert.equal(error.problems[0]?.coordinate, coordinate)
      assert.match(error.problems[0]?.message ?? '', message)
      assert.match(error.message, new RegExp(`${coordinate}: `))
    })
  }
  it('refuses the Federation spelling with an empty list or alternative', () => {
    const sdl = `directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT
      type Query { a: String @requiresScopes(scopes: []) b: String @requiresScopes(scopes: [[]]) }`
    assert.deepEqual(
      buildError(sdl).problems.map((p) => p.coordinate),
      ['Query.a', 'Query.b'],
    )
  })
  it('refuses a scope that is not declared', () => {
    const error = buildError('type Query { a: String @requiresScope(scopes: ["tokens:raed"]) }', ['tokens:read'])
    assert.deepEqual(error.problems, [{ coordinate: 'Query.a', message: 'scope "tokens:raed" is not declared' }])
  })
  it('lists every offender at once', () => {
    const error = buildError(
      `type Query { a: String b: String @requiresScope(scopes: []) c: String @requiresScope(scopes: ["nope"]) ok: String @public }
       type Mutation { m: String @public @requiresScope(scopes: ["x"]) n: String }
       type T @requiresScope(anyOf: [[]]) { x: String @requiresScope }`,
      ['x'],
    )
    assert.deepEqual(error.problems.map((p) => p.coordinate).sort(), ['Mutation.m', 'Mutation.n', 'Query.a', 'Query.b', 'Query.c', 'T', 'T.x'])
    for (const p of error.problems) assert.ok(error.message.includes(`${p.coordinate}: ${p.message}`))
  })
  it('accepts a root field covered by a rule on its root type', () => {
    assert.doesNotThrow(() => buildScopedSchema('type Query @authenticated { a: String }'))
  })
})

describe('schema output', () => {
  const schema = fixtureSchema()
  it('annotates protected field descriptions', () => {
    const query = schema.getQueryType()
    const token = schema.getType('Token')
    const app = schema.getType('App')
    assert.ok(query && isObjectType(token) && isObjectType(app))
    assert.equal(query.getFields()['tokens']?.description, 'Requires scope: tokens:read')
    assert.equal(query.getFields()['both']?.description, 'Requires scopes: c or (a and b)')
    assert.equal(query.getFields()['apps']?.description, 'Requires authentication')
    assert.equal(token.getFields()['secretHint']?.description, 'Requires scopes: secrets:read and tokens:read')
    assert.equal(app.getFields()['auditLog']?.description, 'Requires scopes: admin or (apps:read and audit:read)')
    assert.equal(query.getFields()['health']?.description, undefined)
  })
  it('lists every field with its requirement', () => {
    const list = scopeRequirements(schema)
    const by = new Map(list.map((r) => [r.coordinate, r]))
    assert.deepEqual(by.get('Query.tokens'), { coordinate: 'Query.tokens', requiredScopes: [['tokens:read']], authenticated: true, public: false })
    assert.deepEqual(by.get('Query.health'), { coordinate: 'Query.health', requiredScopes: [], authenticated: false, public: true })
    assert.deepEqual(by.get('Query.apps')?.requiredScopes, [[]])
    assert.deepEqual(by.get('Owned.owner')?.requiredScopes, [['owners:read']])
    assert.equal(
      list.some((r) => r.coordinate.startsWith('__')),
      false,
    )
  })
  it('keeps schema/directives.graphql equal to scopeDirectiveTypeDefs', () => {
    assert.equal(readFileSync(new URL('../../schema/directives.graphql', import.meta.url), 'utf8'), scopeDirectiveTypeDefs)
  })
  it('refuses a schema not built by applyScopeDirectives (fail closed)', () => {
    const plain = makeExecutableSchema({ typeDefs: 'type Query { a: String }' })
    assert.throws(() => scopeRequirements(plain), /applyScopeDirectives/)
  })
})

describe('requiredScopes and closeScopes', () => {
  const schema = fixtureSchema()
  it('reduces by the hierarchy: tokens:read and tokens:write need only tokens:write', () => {
    assert.deepEqual(requiredScopes(schema, '{ tokens { id } } ', undefined), [['tokens:read']])
    assert.throws(() => requiredScopes(schema, 'mutation { revokeToken(id: "1") } query Q { tokens { id } }'), /operation name|must be the only defined operation/)
    const doc = 'mutation M { revokeToken(id: "1") createApp(name: "x") { tokens { id } } } query Q { health }'
    assert.deepEqual(requiredScopes(schema, doc, 'M'), [['apps:write', 'tokens:write']])
    assert.deepEqual(requiredScopes(schema, doc, 'Q'), [])
  })
  it('keeps alternatives least first (by what they imply, 18.14) and drops redundant ones', () => {
    assert.deepEqual(requiredScopes(schema, '{ both apps { auditLog } }'), [
      ['apps:read', 'audit:read', 'c'],
      ['a', 'apps:read', 'audit:read', 'b'],
      ['admin', 'c'],
      ['a', 'admin', 'b'],
    ])
  })
  it('assumes conditional fields run', () => {
    assert.deepEqual(requiredScopes(schema, 'query($s: Boolean!) { health tokens @skip(if: $s) { id } }'), [['tokens:read']])
    assert.deepEqual(requiredScopes(schema, parse('{ health tokens @skip(if: true) { id } }')), [])
  })
  it('closes transitively and through cycles', () => {
    assert.deepEqual([...closeScopes(['a'], { a: ['b'], b: ['c'], c: ['a'] })].sort(), ['a', 'b', 'c'])
    assert.deepEqual([...closeScopes(['constructor'], {})], ['constructor'])
  })
})

describe('resolver wrappers', () => {
  it('enforce rules without checkOperation (second line of defence)', async () => {
    const schema = fixtureSchema()
    const result = await execute({ schema, document: parse('{ tokens { id } health }'), contextValue: { scopes: ['x'] } })
    assert.equal(result.data, null) // tokens is non-null: the null propagates
    assert.equal(result.errors?.[0]?.extensions['code'], 'FORBIDDEN')
  })
  it('report the held scope that satisfied a rule, through implies and anyOf', async () => {
    const seen: string[][] = []
    const schema = fixtureSchema({ onAuthorized: (_ctx, used) => seen.push([...used]) })
    await expectAllowed(schema, ['tokens:write'], '{ tokens { id } }')
    assert.deepEqual(seen, [['tokens:write'], ['tokens:write']]) // Query.tokens, Token.id
    seen.length = 0
    await expectAllowed(schema, ['admin', 'x'], '{ apps { auditLog } }')
    assert.deepEqual(seen, [['admin']])
    seen.length = 0
    await expectAllowed(schema, ['c'], '{ both health }')
    assert.deepEqual(seen, [['c']])
  })
  it('report the requirement that was satisfied beside the held scopes that satisfied it', async () => {
    const seen: [string[], string[]][] = []
    const schema = fixtureSchema({ onAuthorized: (_ctx, used, required) => seen.push([[...used], [...required]]) })
    await expectAllowed(schema, ['tokens:write'], '{ tokens { id } }')
    assert.deepEqual(seen[0], [['tokens:write'], ['tokens:read']], 'held tokens:write, needed only tokens:read')
  })
  it('keep sync resolvers sync and await async ones', async () => {
    const schema = buildScopedSchema('type Query { s: String @authenticated a: String @authenticated }', { Query: { s: () => 'sync', a: () => Promise.resolve('async') } })
    const resolve = schema.getQueryType()?.getFields()['s']?.resolve
    assert.equal(resolve?.({}, {}, { scopes: [] }, {} as never), 'sync')
    assert.deepEqual(await expectAllowed(schema, [], '{ s a }'), { s: 'sync', a: 'async' })
    await expectDenied(schema, null, '{ s a }', [
      { path: ['s'], code: 'UNAUTHENTICATED' },
      { path: ['a'], code: 'UNAUTHENTICATED' },
    ])
  })
})

describe('Apollo Federation schemas', () => {
  const routerSdl = `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@authenticated", "@requiresScopes"])
    directive @link(url: String!, import: [link__Import]) repeatable on SCHEMA
    scalar link__Import
    scalar federation__Scope
    directive @requiresScopes(scopes: [[federation__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
    directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
    type Query {
      me: User @authenticated
      users: [User!]! @requiresScopes(scopes: [["users:read"], ["admin"]])
    }
    type User @requiresScopes(scopes: [["profile:read"]]) { id: ID! email: String @requiresScopes(scopes: [["email:read", "profile:read"]]) }
  `
  const schema = applyScopeDirectives(
    makeExecutableSchema({
      typeDefs: routerSdl,
      resolvers: { Query: { me: () => ({ id: 'u1', email: 'a@b' }), users: () => [{ id: 'u1', email: 'a@b' }] } },
    }),
    { scopesOf: (ctx) => (ctx as { scopes: string[] | null }).scopes },
  )
  it('runs a Router-style subgraph schema unchanged', async () => {
    assert.deepEqual(await expectAllowed(schema, ['admin', 'profile:read'], '{ users { id } }'), { users: [{ id: 'u1' }] })
    await expectAllowed(schema, ['profile:read', 'email:read'], '{ me { id email } }')
  })
  it('denies with the same meaning as Apollo Router', async () => {
    await expectDenied(schema, ['users:read'], '{ users { id } }', [{ path: ['users'], code: 'FORBIDDEN', missingScopes: ['profile:read'] }])
    await expectDenied(schema, ['profile:read'], '{ me { id email } }', [{ path: ['me', 'email'], code: 'FORBIDDEN', missingScopes: ['email:read'] }])
    await expectDenied(schema, null, '{ me { id } }', [{ path: ['me'], code: 'UNAUTHENTICATED' }])
  })
})
