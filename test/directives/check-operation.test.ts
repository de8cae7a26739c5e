import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parse } from 'graphql'
import { checkOperation } from '../../src/directives/index.js'
import { expectAllowed, expectDenied, run } from './harness.js'
import { fixtureSchema } from './fixture.js'

const schema = fixtureSchema()

describe('field, type and interface locations', () => {
  it('allows a field whose field and type scopes are held', async () => {
    const data = await expectAllowed(schema, ['tokens:read'], '{ tokens { id name } }')
    assert.deepEqual(data, { tokens: [{ id: 't1', name: 'ci' }] })
  })
  it('denies a root field whose field scope is missing, naming the missing scope', async () => {
    await expectDenied(schema, ['apps:read'], '{ tokens { id } health }', [{ path: ['tokens'], code: 'FORBIDDEN', missingScopes: ['tokens:read'] }])
  })
  it('applies a type rule to a field that returns the type (viewerToken is @public itself)', async () => {
    await expectDenied(schema, [], '{ viewerToken { id } }', [{ path: ['viewerToken'], code: 'FORBIDDEN', missingScopes: ['tokens:read'] }])
    await expectAllowed(schema, ['tokens:read'], '{ viewerToken { id } }')
  })
  it('applies a type rule to every field of the type', async () => {
    // App.tokens returns Token: requires tokens:read; nested under apps (authenticated).
    await expectAllowed(schema, ['tokens:read'], '{ apps { name tokens { id } } }')
  })
  it('adds a field rule to the type rule (AND)', async () => {
    await expectDenied(schema, ['tokens:read'], '{ tokens { id secretHint } }', [{ path: ['tokens', 'secretHint'], code: 'FORBIDDEN', missingScopes: ['secrets:read'] }])
    await expectAllowed(schema, ['tokens:read', 'secrets:read'], '{ tokens { id secretHint } }')
  })
  it('applies an interface type rule to implementors of its fields only', async () => {
    await expectDenied(schema, [], '{ node(id: "d1") { ... on Doc { id title owner } } }', [{ path: ['node', 'owner'], code: 'FORBIDDEN', missingScopes: ['owners:read'] }])
    await expectAllowed(schema, ['owners:read'], '{ node(id: "d1") { ... on Doc { id title owner } } }')
  })
})

describe('scopes vs anyOf, and the hierarchy', () => {
  it('accepts either alternative of anyOf', async () => {
    await expectAllowed(schema, ['c'], '{ both }')
    await expectAllowed(schema, ['a', 'b'], '{ both }')
  })
  it('refuses half of an AND alternative, reporting the smallest missing set', async () => {
    await expectDenied(schema, ['a', 'c:x'], '{ both }', [{ path: ['both'], code: 'FORBIDDEN', missingScopes: ['c'] }]) // tie: first (smallest) alternative
    // Least by what it implies (18.14): admin implies four more scopes, so the two read scopes are less.
    await expectDenied(schema, ['a'], '{ apps { auditLog } }', [{ path: ['apps', 'auditLog'], code: 'FORBIDDEN', missingScopes: ['apps:read', 'audit:read'] }])
    await expectDenied(schema, ['audit:read'], '{ apps { auditLog } }', [{ path: ['apps', 'auditLog'], code: 'FORBIDDEN', missingScopes: ['apps:read'] }])
    await expectDenied(schema, [], '{ both }', [{ path: ['both'], code: 'FORBIDDEN', missingScopes: ['c'] }])
  })
  it('closes held scopes transitively under implies', async () => {
    await expectAllowed(schema, ['admin'], '{ tokens { id } }') // admin → tokens:admin → tokens:write → tokens:read
    await expectAllowed(schema, ['admin'], '{ apps { auditLog } }') // anyOf [["admin"]]
  })
  it('does not let an implied scope imply upwards', async () => {
    await expectDenied(schema, ['tokens:read'], 'mutation { revokeToken(id: "t1") }', [{ path: ['revokeToken'], code: 'FORBIDDEN', missingScopes: ['tokens:write'] }])
  })
  it('reads implies through a getter, so scopes added at run time count', async () => {
    let implies: Record<string, string[]> = {}
    const dynamic = fixtureSchema({ implies: () => implies })
    await expectDenied(dynamic, ['root'], '{ tokens { id } }', [{ path: ['tokens'], code: 'FORBIDDEN' }])
    implies = { root: ['tokens:read'] }
    await expectAllowed(dynamic, ['root'], '{ tokens { id } }')
  })
})

describe('interfaces and unions', () => {
  it('denies a field selected through an interface when one implementor protects it', async () => {
    // Node.id via the interface: Token.id needs tokens:read, so the selection needs it whatever the runtime type.
    await expectDenied(schema, ['x'], '{ node(id: "a1") { id } }', [{ path: ['node', 'id'], code: 'FORBIDDEN', missingScopes: ['tokens:read'] }])
    await expectAllowed(schema, ['tokens:read'], '{ node(id: "a1") { id } }')
  })
  it('checks per concrete type when selected through a type fragment', async () => {
    const data = await expectAllowed(schema, ['x'], '{ node(id: "a1") { ... on App { id } } }')
    assert.deepEqual(data, { node: { id: 'a1' } })
    await expectDenied(schema, ['x'], '{ node(id: "t1") { ... on Token { id } } }', [{ path: ['node', 'id'], code: 'FORBIDDEN' }])
  })
  it('narrows an interface fragment inside a concrete type to that type', async () => {
    await expectAllowed(schema, ['x'], '{ apps { ... on Node { id } } }')
  })
  it('filters union members one at a time', async () => {
    await expectDenied(schema, ['x'], '{ search { __typename ... on App { name } ... on Token { name } } }', [
      { path: ['search', 'name'], code: 'FORBIDDEN', missingScopes: ['tokens:read'] },
    ])
    const data = await expectAllowed(schema, ['x'], '{ search { __typename ... on App { name } } }')
    assert.deepEqual(data, { search: [{ __typename: 'Token' }, { __typename: 'App', name: 'billing' }] })
  })
})

describe('fragments, aliases and conditions', () => {
  it('sees through named fragments', async () => {
    const op = 'query { ...Q } fragment Q on Query { tokens { ...T } } fragment T on Token { id secretHint }'
    await expectDenied(schema, ['tokens:read'], op, [{ path: ['tokens', 'secretHint'], code: 'FORBIDDEN' }])
    await expectAllowed(schema, ['tokens:read', 'secrets:read'], op)
  })
  it('sees through inline fragments without a type condition', async () => {
    await expectDenied(schema, ['x'], '{ ... { tokens { id } } health }', [{ path: ['tokens'], code: 'FORBIDDEN' }])
  })
  it('does not let an alias bypass a rule, and reports the alias path', async () => {
    await expectDenied(schema, ['x'], '{ health: tokens { id } ok: health }', [{ path: ['health'], code: 'FORBIDDEN' }])
    await expectDenied(schema, ['x'], '{ a: viewerToken { id } b: viewerToken { id } }', [
      { path: ['a'], code: 'FORBIDDEN' },
      { path: ['b'], code: 'FORBIDDEN' },
    ])
  })
  it('does not check a field skipped by a variable, and checks it when included', async () => {
    const op = 'query($s: Boolean!, $i: Boolean!) { health tokens @skip(if: $s) { id } apps @include(if: $i) { id } }'
    await expectAllowed(schema, [], op, { s: true, i: true })
    await expectDenied(schema, [], op, [{ path: ['tokens'], code: 'FORBIDDEN' }], { s: false, i: true })
    await expectAllowed(schema, null, 'query($s: Boolean!) { health tokens @skip(if: $s) { id } }', { s: true })
  })
  it('uses a variable default and honours conditions on fragments', async () => {
    const op = 'query($show: Boolean = false) { health ... @include(if: $show) { tokens { id } } }'
    await expectAllowed(schema, [], op)
    await expectDenied(schema, [], op, [{ path: ['tokens'], code: 'FORBIDDEN' }], { show: true })
  })
})

describe('paths and meta-fields', () => {
  it('accumulates along the path and reports only the outermost denial', async () => {
    await expectDenied(schema, [], '{ tokens { id secretHint } }', [{ path: ['tokens'], code: 'FORBIDDEN' }])
  })
  it('reports nested denials at their full path, with partial data beside them', async () => {
    const { result } = await expectDenied(schema, ['tokens:read'], '{ tokens { id secretHint } health }', [{ path: ['tokens', 'secretHint'], code: 'FORBIDDEN' }])
    assert.deepEqual(result?.data, { tokens: [{ id: 't1', secretHint: null }], health: 'ok' })
    assert.deepEqual(result?.errors?.[0]?.path, ['tokens', 0, 'secretHint'])
    assert.equal(result?.errors?.[0]?.message, 'Not authorized to access Token.secretHint: requires scopes secrets:read and tokens:read')
  })
  it('exempts __typename, even on a protected type', async () => {
    const data = await expectAllowed(schema, [], '{ search { __typename } node(id: "t1") { __typename } __typename }')
    assert.deepEqual(data, { search: [{ __typename: 'Token' }, { __typename: 'App' }], node: { __typename: 'Token' }, __typename: 'Query' })
  })
  it('still checks the field that returns a protected type when only __typename is selected', async () => {
    await expectDenied(schema, [], '{ viewerToken { __typename } }', [{ path: ['viewerToken'], code: 'FORBIDDEN' }])
  })
  it('exempts real __schema and __type on the query root', async () => {
    await expectAllowed(schema, null, '{ __schema { queryType { name } } __type(name: "Token") { name } }')
  })
  it('does not exempt a field aliased as __schema', async () => {
    await expectDenied(schema, [], '{ __schema: tokens { id } }', [{ path: ['__schema'], code: 'FORBIDDEN' }])
  })
  it('grants nothing to a fragment named __schema', async () => {
    await expectDenied(schema, [], 'query { ...__schema } fragment __schema on Query { tokens { id } }', [{ path: ['tokens'], code: 'FORBIDDEN' }])
  })
})

describe('callers', () => {
  it('answers UNAUTHENTICATED without a caller and FORBIDDEN with one', async () => {
    await expectDenied(schema, null, '{ apps { id } }', [{ path: ['apps'], code: 'UNAUTHENTICATED' }])
    await expectAllowed(schema, [], '{ apps { id } }')
    await expectDenied(schema, null, '{ tokens { id } }', [{ path: ['tokens'], code: 'UNAUTHENTICATED', missingScopes: ['tokens:read'] }])
  })
  it('lets anyone reach a @public field, even without a caller', async () => {
    await expectAllowed(schema, null, '{ health }')
  })
  it('reports authenticated in the check', () => {
    const document = parse('{ health }')
    assert.equal(checkOperation({ schema, document, contextValue: { scopes: null } }).authenticated, false)
    assert.equal(checkOperation({ schema, document, contextValue: { scopes: [] } }).authenticated, true)
  })
})

describe('mutations', () => {
  it('denies a mutation whole when its second root field is denied', async () => {
    const { check, result } = await run(schema, ['apps:write'], 'mutation { createApp(name: "x") { id } revokeToken(id: "t1") }')
    assert.equal(check.operationType, 'mutation')
    assert.deepEqual(
      check.denied.map((d) => d.path),
      [['revokeToken']],
    )
    assert.equal(result, undefined)
  })
  it('allows a mutation whose every field is allowed', async () => {
    await expectAllowed(schema, ['admin'], 'mutation { createApp(name: "x") { id } revokeToken(id: "t1") }')
  })
})

describe('operation requirement', () => {
  it('is the minimal AND of the fields that run', () => {
    const document = parse('query($s: Boolean!) { tokens { id } both @skip(if: $s) }')
    const check = (s: boolean) => checkOperation({ schema, document, variableValues: { s }, contextValue: { scopes: [] } }).requirement
    assert.deepEqual(check(true), [['tokens:read']])
    assert.deepEqual(check(false), [
      ['c', 'tokens:read'],
      ['a', 'b', 'tokens:read'],
    ])
  })
  it('returns the same decision from its cache for the same scopes', () => {
    const document = parse('{ tokens { id } }')
    const a = checkOperation({ schema, document, contextValue: { scopes: ['x'] } })
    const b = checkOperation({ schema, document, contextValue: { scopes: ['x'] } })
    const c = checkOperation({ schema, document, contextValue: { scopes: ['tokens:read'] } })
    assert.equal(a, b)
    assert.equal(a.denied.length, 1)
    assert.equal(c.denied.length, 0)
  })
})
