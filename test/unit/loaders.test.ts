// The per-request loaders (src/graphql/loaders.ts): loads of one tick become one store read, and
// every loader that hands out a token applies the caller's boundary, failing closed without a caller.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Domain, Principal } from '../../src/domain/context.js'
import { ScopewardError } from '../../src/errors.js'
import { createLoaders } from '../../src/graphql/loaders.js'
import type { AppRecord, TokenRecord } from '../../src/domain/model.js'
import { appRecord, tokenRecord } from '../fixtures/records.js'

const token = (id: string, over: Partial<TokenRecord> = {}): TokenRecord => tokenRecord(id, { appId: 'a', scopes: ['tokens:read'], secretHash: null, ...over })
const app = (id: string, isRoot = false): AppRecord => appRecord(id, { isRoot })

const ROWS = [
  token('own'),
  token('other-app', { appId: 'b' }),
  token('alice', { subject: 'alice' }),
  token('c2', { parentId: 'own', createdAt: 2 }),
  token('c1', { parentId: 'own', createdAt: 1 }),
  token('cb', { parentId: 'own', appId: 'b' }),
]

/** A domain over a store that answers the batch reads from ROWS and records each call. */
function fakeDomain(): { domain: Domain; calls: string[][] } {
  const calls: string[][] = []
  const store = {
    getTokens(ids: readonly string[]) {
      calls.push(['getTokens', ...ids])
      return Promise.resolve(ROWS.filter((t) => ids.includes(t.id)))
    },
    getTokenNames(ids: readonly string[]) {
      calls.push(['getTokenNames', ...ids])
      return Promise.resolve(ROWS.filter((t) => ids.includes(t.id)).map(({ id, appId, subject, name }) => ({ id, appId, subject, name })))
    },
    listChildTokens(ids: readonly string[]) {
      calls.push(['listChildTokens', ...ids])
      return Promise.resolve(ROWS.filter((t) => t.parentId !== null && ids.includes(t.parentId)))
    },
  }
  return { domain: { store } as unknown as Domain, calls }
}

const principal = (subject: string | null = null, isRoot = false): Principal => ({
  token: token('me', { subject }),
  app: app('a', isRoot),
  scopes: new Set(['tokens:read']),
  held: ['tokens:read'],
})

describe('request loaders', () => {
  test('loads made in one tick are one store read, and tokens outside the app answer null like unknown ones', async () => {
    const { domain, calls } = fakeDomain()
    const loaders = createLoaders(domain, principal())
    const got = await Promise.all(['own', 'other-app', 'missing', 'own'].map((id) => loaders.visibleToken.load(id)))
    assert.deepEqual(
      got.map((t) => t?.id ?? null),
      ['own', null, null, 'own'],
    )
    assert.deepEqual(calls, [['getTokens', 'own', 'other-app', 'missing']])
  })

  test("a token acting for a subject sees only that subject's tokens through a loader", async () => {
    const { domain } = fakeDomain()
    const loaders = createLoaders(domain, principal('alice'))
    assert.deepEqual(
      (await loaders.visibleToken.loadMany(['own', 'alice'])).map((t) => (t instanceof Error ? t : (t?.id ?? null))),
      [null, 'alice'],
    )
  })

  test("names only: one read per tick, under the same boundary as whole tokens (another app's or subject's token answers null)", async () => {
    const { domain, calls } = fakeDomain()
    const ids = ['own', 'other-app', 'alice', 'missing', 'own']
    const app = createLoaders(domain, principal())
    const names = await Promise.all(ids.map((id) => app.visibleTokenName.load(id)))
    assert.deepEqual(
      names.map((t) => t?.name ?? null),
      ['own', null, 'alice', null, 'own'],
    )
    assert.deepEqual(calls, [['getTokenNames', 'own', 'other-app', 'alice', 'missing']])
    const loaders = createLoaders(domain, principal('alice'))
    const forAlice = await Promise.all(ids.map((id) => loaders.visibleTokenName.load(id)))
    assert.deepEqual(
      forAlice.map((t) => t?.id ?? null),
      (await Promise.all(ids.map((id) => createLoaders(domain, principal('alice')).visibleToken.load(id)))).map((t) => t?.id ?? null),
    )
    assert.deepEqual(
      forAlice.map((t) => t?.id ?? null),
      [null, null, 'alice', null, null],
    )
  })

  test('a root-app token sees across apps', async () => {
    const { domain } = fakeDomain()
    assert.equal((await createLoaders(domain, principal(null, true)).visibleToken.load('other-app'))?.id, 'other-app')
  })

  test('derived tokens: only the visible children, oldest first, one read for every parent of the tick', async () => {
    const { domain, calls } = fakeDomain()
    const loaders = createLoaders(domain, principal())
    const [own, other] = await Promise.all([loaders.derivedTokens.load('own'), loaders.derivedTokens.load('other-app')])
    assert.deepEqual(
      own?.map((t) => t.id),
      ['c1', 'c2'],
    )
    assert.deepEqual(other, [])
    assert.deepEqual(calls, [['listChildTokens', 'own', 'other-app']])
  })

  test('without a caller, every guarded load fails UNAUTHENTICATED and reads nothing', async () => {
    const { domain, calls } = fakeDomain()
    const loaders = createLoaders(domain, null)
    for (const load of [() => loaders.visibleToken.load('own'), () => loaders.visibleTokenName.load('own'), () => loaders.derivedTokens.load('own')]) {
      await assert.rejects(load(), (error: unknown) => error instanceof ScopewardError && error.code === 'UNAUTHENTICATED')
    }
    assert.deepEqual(calls, [])
  })

  test('nothing is cached across ticks: a row changed by a mutation in between is read again', async () => {
    const { domain, calls } = fakeDomain()
    const loaders = createLoaders(domain, principal())
    await loaders.visibleToken.load('own')
    await loaders.visibleToken.load('own')
    assert.equal(calls.length, 2)
  })
})
