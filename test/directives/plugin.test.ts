import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { apolloRequest } from './harness.js'
import { fixtureSchema, type Effects } from './fixture.js'

describe('scopeAuthorizationPlugin', () => {
  it('refuses a mutation whole with 403 and insufficient_scope when its second field is denied', async () => {
    const effects: Effects = { created: 0, revoked: 0 }
    const schema = fixtureSchema({}, effects)
    const r = await apolloRequest(schema, ['apps:write'], 'mutation { createApp(name: "x") { id } revokeToken(id: "t1") }')
    assert.equal(r.status, 403)
    assert.equal(r.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", scope="tokens:write"')
    assert.equal(r.data, undefined)
    assert.equal(r.errors?.length, 1)
    assert.equal(r.errors?.[0]?.extensions?.['code'], 'FORBIDDEN')
    assert.deepEqual(r.errors?.[0]?.extensions?.['missingScopes'], ['tokens:write'])
    assert.deepEqual(
      (r.errors?.[0]?.extensions?.['denied'] as { coordinate: string }[]).map((d) => d.coordinate),
      ['Mutation.revokeToken'],
    )
    assert.deepEqual(effects, { created: 0, revoked: 0 })
  })
  it('runs an allowed mutation and sets the scope headers', async () => {
    const effects: Effects = { created: 0, revoked: 0 }
    const r = await apolloRequest(fixtureSchema({}, effects), ['tokens:write', 'apps:write'], 'mutation { createApp(name: "x") { id } revokeToken(id: "t1") }')
    assert.equal(r.status, undefined)
    assert.equal(r.errors, undefined)
    assert.deepEqual(effects, { created: 1, revoked: 1 })
    assert.equal(r.headers.get('x-accepted-oauth-scopes'), 'apps:write, tokens:write')
    assert.equal(r.headers.get('x-oauth-scopes'), 'apps:write, tokens:write')
  })
  it('answers 401 with a bare Bearer challenge when there is no caller', async () => {
    const effects: Effects = { created: 0, revoked: 0 }
    const r = await apolloRequest(fixtureSchema({}, effects), null, 'mutation { revokeToken(id: "t1") }')
    assert.equal(r.status, 401)
    assert.equal(r.headers.get('www-authenticate'), 'Bearer')
    assert.equal(r.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED')
    assert.equal(r.headers.has('x-oauth-scopes'), false)
    assert.equal(effects.revoked, 0)
  })
  it('answers a query with partial data: null and FORBIDDEN at exactly the denied path', async () => {
    const r = await apolloRequest(fixtureSchema(), ['tokens:read'], '{ tokens { id hint: secretHint } health }')
    assert.equal(r.status, undefined)
    assert.deepEqual(JSON.parse(JSON.stringify(r.data)), { tokens: [{ id: 't1', hint: null }], health: 'ok' })
    assert.equal(r.errors?.length, 1)
    assert.deepEqual(r.errors?.[0]?.path, ['tokens', 0, 'hint'])
    assert.equal(r.errors?.[0]?.extensions?.['code'], 'FORBIDDEN')
    assert.deepEqual(r.errors?.[0]?.extensions?.['missingScopes'], ['secrets:read'])
    assert.equal(r.headers.get('x-accepted-oauth-scopes'), 'secrets:read, tokens:read')
  })
  it('denies a field selected through an interface at run time too (stored denials)', async () => {
    // App.id alone is open, but Node.id through the interface needs Token's tokens:read; id is ID! so null bubbles up.
    const r = await apolloRequest(fixtureSchema(), ['x'], '{ node(id: "a1") { id ... on App { name } } }')
    assert.deepEqual(JSON.parse(JSON.stringify(r.data)), { node: null })
    assert.deepEqual(
      r.errors?.map((e) => e.path),
      [['node', 'id']],
    )
  })
  it('refuses a query whole in reject mode (plugin option or schema option)', async () => {
    const viaPlugin = await apolloRequest(fixtureSchema(), ['x'], '{ tokens { id } health }', undefined, { mode: 'reject' })
    assert.equal(viaPlugin.status, 403)
    assert.equal(viaPlugin.data, undefined)
    const viaSchema = await apolloRequest(fixtureSchema({ mode: 'reject' }), ['x'], '{ tokens { id } health }')
    assert.equal(viaSchema.status, 403)
    const allowed = await apolloRequest(fixtureSchema({ mode: 'reject' }), ['tokens:read'], '{ tokens { id } health }')
    assert.equal(allowed.errors, undefined)
  })
  it('separates alternatives with "; " in X-Accepted-OAuth-Scopes', async () => {
    const r = await apolloRequest(fixtureSchema(), ['c'], '{ both }')
    assert.equal(r.headers.get('x-accepted-oauth-scopes'), 'c; a, b')
  })
  it('honours @skip with request variables', async () => {
    const r = await apolloRequest(fixtureSchema(), [], 'query($s: Boolean!) { health tokens @skip(if: $s) { id } }', { s: true })
    assert.equal(r.errors, undefined)
    assert.deepEqual(JSON.parse(JSON.stringify(r.data)), { health: 'ok' })
  })
})
