// Per-token fields in a list are read in batches (graphql/loaders.ts): a page of tokens costs a
// bounded number of store reads whatever its length, and every token reached through a field
// answers exactly as token(id:) answers the same caller (issue 18.7).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { PgStore } from '../../src/store/pg-store.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import { createApp, dataOf, DERIVE, issue, startServer, type TestServer } from './harness.js'

const LIST = `query List($appId: ID) {
  tokens(appId: $appId, first: 100) {
    edges { node {
      id status lastUsedAt usedScopes unusedScopes suggestedScopes neverExpires
      app { id }
      createdBy { id status }
      parent { id status app { id } }
      scopeUsage { scope count }
      derivedTokens { id }
    } }
  }
}`

const READS = [
  'getToken',
  'getTokens',
  'getTokenNames',
  'getApp',
  'getApps',
  'getUsage',
  'listUsage',
  'listUsedScopes',
  'listNeeds',
  'listTokenFamily',
  'listChildTokens',
  'listTokens',
  'countTokens',
] as const

/**
 * A spy on both store classes, set before the server starts (the store is reached through a
 * wrapper that binds each method once): counts reads while armed by `countReads`.
 */
let counting: Map<string, number> | null = null
const restore: (() => void)[] = []
function spyOnStores(): void {
  for (const proto of [SqliteStore.prototype, PgStore.prototype] as unknown as Record<string, (...args: unknown[]) => unknown>[]) {
    for (const name of READS) {
      const original = proto[name] as (...args: unknown[]) => unknown
      proto[name] = function (this: unknown, ...args: unknown[]) {
        counting?.set(name, (counting.get(name) ?? 0) + 1)
        return original.apply(this, args)
      }
      restore.push(() => (proto[name] = original))
    }
  }
}

/** Store reads made while `body` runs, by method name (writes and bookkeeping are not counted). */
async function countReads(body: () => Promise<void>): Promise<Map<string, number>> {
  counting = new Map()
  try {
    await body()
    return counting
  } finally {
    counting = null
  }
}

const total = (reads: Map<string, number>): number => [...reads.values()].reduce((a, b) => a + b, 0)

describe('per-token fields in lists are batched', () => {
  let server: TestServer
  let appA: { id: string }
  let issuer: { secret: string; id: string }
  let subjectToken: { secret: string; id: string }

  before(async () => {
    spyOnStores()
    server = await startServer()
    appA = await createApp(server, { name: 'batched', allowedScopes: ['tokens:read', 'tokens:write'] })
    // 21 tokens issued by a token of the app, 20 derived from one parent, and a subject's family: 50 in all.
    issuer = await issue(server, { appId: appA.id, scopes: ['tokens:read', 'tokens:write'], name: 'issuer' })
    for (let i = 0; i < 21; i++) await issue(server, { scopes: ['tokens:read'], name: `issued-${i}` }, issuer.secret)
    const parent = await issue(server, { appId: appA.id, scopes: ['tokens:read', 'tokens:write'], name: 'parent' })
    for (let i = 0; i < 20; i++) dataOf(await server.gql(DERIVE, { token: parent.secret, variables: { input: { name: `derived-${i}`, scopes: ['tokens:read'] } } }))
    subjectToken = await issue(server, { appId: appA.id, subject: 'alice', scopes: ['tokens:read', 'tokens:write'], name: 'alice' })
    for (let i = 0; i < 6; i++) dataOf(await server.gql(DERIVE, { token: subjectToken.secret, variables: { input: { name: `alice-${i}`, scopes: ['tokens:read'] } } }))
    // Usage recorded for every token of the list, so the usage fields have rows to read.
    await server.gql('{ viewer { id } }', { token: issuer.secret })
    await server.app.usage.flush()
  })
  after(async () => {
    await server.stop()
    for (const undo of restore) undo()
  })

  test('a list of 50 tokens with createdBy, parent, usedScopes, scopeUsage, app, status and derivedTokens makes a bounded number of store reads', async () => {
    let tokens: any[] = []
    const reads = await countReads(async () => {
      tokens = dataOf(await server.gql(LIST, { variables: { appId: appA.id } })).tokens.edges.map((e: any) => e.node)
    })
    assert.ok(tokens.length >= 50, `listed ${tokens.length}`)
    // One read per field and per level of the ancestor walk, not one per row (it was 382 before the loaders).
    assert.ok(total(reads) <= 15, `store reads: ${JSON.stringify(Object.fromEntries(reads))}`)
    // getToken and getApp once each: authenticating the caller; nothing per row.
    for (const name of ['getToken', 'getApp']) assert.ok((reads.get(name) ?? 0) <= 1, `${name} per row`)
    for (const name of ['getUsage', 'listTokenFamily']) assert.equal(reads.get(name) ?? 0, 0, `${name} per row`)
    const derived = tokens.filter((t) => t.parent !== null && t.parent.id !== subjectToken.id)
    assert.equal(derived.length, 20)
    assert.equal(tokens.find((t) => t.id === derived[0].parent.id).derivedTokens.length, 20)
    assert.equal(tokens.filter((t) => t.createdBy?.id === issuer.id).length, 21)
  })

  test("a console's list (createdBy { id name } usedScopes lastUsedAt) reads each field's rows in one statement, and the creators' names only", async () => {
    const CONSOLE = (creator: string) => `query($appId: ID) { tokens(appId: $appId, first: 100) { edges { node { id createdBy { ${creator} } usedScopes lastUsedAt } } } }`
    for (const secret of [issuer.secret, subjectToken.secret]) {
      let names: any[] = []
      const reads = await countReads(async () => {
        names = dataOf(await server.gql(CONSOLE('id name'), { token: secret, variables: { appId: appA.id } })).tokens.edges.map((e: any) => e.node)
      })
      assert.ok(names.length > 0)
      // Beside authenticating the caller (getToken, getApp) and the page itself: one read of the creators' names, one of the used scopes, no whole token row nor usage count.
      assert.deepEqual(Object.fromEntries([...reads].filter(([name]) => !['getToken', 'getApp', 'listTokens'].includes(name))), { getTokenNames: 1, listUsedScopes: 1 })
      // The same answers as through whole rows (a selection beyond the name): a creator outside the caller's boundary is null both ways.
      const whole = dataOf(await server.gql(CONSOLE('id name status'), { token: secret, variables: { appId: appA.id } })).tokens.edges.map((e: any) => e.node)
      assert.deepEqual(
        names,
        whole.map((t: any) => ({ ...t, createdBy: t.createdBy && { id: t.createdBy.id, name: t.createdBy.name } })),
      )
      assert.ok(names.some((t) => t.createdBy !== null) && names.some((t) => t.createdBy === null && t.id !== issuer.id), 'some creators seen, some outside the boundary')
    }
  })

  test('the same list twice as long costs no more store reads', async () => {
    const first50 = await countReads(async () => void dataOf(await server.gql(LIST.replace('first: 100', 'first: 25'), { variables: { appId: appA.id } })))
    const all = await countReads(async () => void dataOf(await server.gql(LIST, { variables: { appId: appA.id } })))
    assert.ok(total(all) <= total(first50) + 2, `${JSON.stringify(Object.fromEntries(first50))} vs ${JSON.stringify(Object.fromEntries(all))}`)
  })

  for (const who of ['a token of the app', 'a token acting for a subject'] as const) {
    test(`18.7 every token reached through a field answers ${who} exactly as token(id:) does`, async () => {
      const secret = who === 'a token of the app' ? issuer.secret : subjectToken.secret
      const listed = dataOf(await server.gql(LIST, { token: secret })).tokens.edges.map((e: any) => e.node)
      assert.ok(listed.length > 0)
      const answers = new Map<string, unknown>()
      const direct = async (id: string) => {
        if (!answers.has(id)) answers.set(id, dataOf(await server.gql('query($id: ID!) { token(id: $id) { id status } }', { token: secret, variables: { id } })).token)
        return answers.get(id)
      }
      let hidden = 0
      for (const t of listed) {
        const createdBy = (await server.app.store.getToken(t.id))?.createdBy
        if (createdBy && !createdBy.includes(':')) {
          assert.deepEqual(t.createdBy, await direct(createdBy), `createdBy of ${t.id}`)
          if (t.createdBy === null) hidden++
        }
        const parentId = (await server.app.store.getToken(t.id))?.parentId
        if (parentId) assert.deepEqual(t.parent && { id: t.parent.id, status: t.parent.status }, await direct(parentId), `parent of ${t.id}`)
        for (const child of t.derivedTokens) assert.deepEqual(await direct(child.id), { id: child.id, status: 'ACTIVE' })
      }
      // The root token issued tokens here: it lies outside both callers' boundary, and is answered as null.
      assert.ok(hidden > 0, 'some createdBy lies outside the boundary')
      if (who === 'a token acting for a subject') assert.ok(listed.every((t: any) => t.derivedTokens.every((c: any) => listed.some((l: any) => l.id === c.id))))
    })
  }
})
