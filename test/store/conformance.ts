// The Store contract, run against every implementation (sqlite.test.ts, postgres.test.ts): what the
// domain may rely on, whichever database is underneath.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { verifyAuditChain } from '../../src/domain/verify-audit.js'
import { EmptiedTokensError } from '../../src/errors.js'
import {
  rotatedKey,
  tokenSortKey,
  type AppRecord,
  type AuditEventInput,
  type GuardRows,
  type ScopeRecord,
  type SigningKeyRecord,
  type StoreChange,
  type TokenRecord,
} from '../../src/domain/model.js'
import type { Store } from '../../src/domain/ports.js'
import { KeyWriteRefused } from '../../src/store/store.js'
import { defineOutboxConformance, type MakeOutboxStore } from './outbox-conformance.js'
import { defineWebhookConformance } from './webhook-conformance.js'
import { appRecord, auditInput, tokenRecord } from '../fixtures/records.js'

export type MakeStore = MakeOutboxStore

const T0 = 1_700_000_000_000
const HOUR = 3_600_000

const scope = (name: string, implies: string[] = []): ScopeRecord => ({ name, description: name, implies, builtIn: true, createdAt: T0 })
const app = (id: string, over: Partial<AppRecord> = {}): AppRecord => appRecord(id, { allowedScopes: ['a:read', 'a:write'], createdAt: T0, ...over })
const token = (id: string, over: Partial<TokenRecord> = {}): TokenRecord => tokenRecord(id, { scopes: ['a:read'], createdAt: T0, expiresAt: T0 + 24 * HOUR, ...over })
let auditSerial = 0
const audit = (action: string, over: Partial<AuditEventInput> = {}): AuditEventInput => auditInput(action, { at: T0 + auditSerial++, ...over })
const key = (kid: string, over: Partial<SigningKeyRecord> = {}): SigningKeyRecord => ({
  kid,
  alg: 'EdDSA',
  status: 'ACTIVE',
  publicJwk: '{}',
  privateKey: '{}',
  createdAt: T0,
  retireAfter: null,
  activatesAt: null,
  ...over,
})

/** A migrated store holding the seed: scopes a:read, a:write (implies a:read), the root app and root token. */
async function seeded(store: Store): Promise<void> {
  await store.migrate()
  const created = await store.initialize({
    scopes: [scope('a:read'), scope('a:write', ['a:read'])],
    rootApp: app('root', { isRoot: true }),
    rootToken: token('root-token', { scopes: ['a:read', 'a:write'] }),
    audit: audit('instance.init'),
  })
  assert.equal(created, true)
}

const ids = (rows: { id: string }[]): string[] => rows.map((r) => r.id)

export function defineStoreConformance(name: string, makeStore: MakeStore, options: { skip?: string | false } = {}): void {
  describe(`${name} store conformance`, { skip: options.skip ?? false }, () => {
    defineOutboxConformance(seeded, makeStore)
    defineWebhookConformance(seeded, makeStore)

    /** Runs `body` on a fresh, seeded store and cleans up whatever happens. */
    const withStore = (body: (store: Store) => Promise<void>) => async () => {
      const { store, cleanup } = await makeStore()
      try {
        await seeded(store)
        await body(store)
      } finally {
        await cleanup()
      }
    }

    test(
      'a token with every optional field set reads back whole: by id, by ids, in a list and as a child',
      withStore(async (store) => {
        // Text a packed read must carry unchanged: quotes, backslashes, a newline, a surrogate pair, JSON-looking text.
        const odd = 'say "hi" \\ back\nslash \ud83d\ude00 [1,{"a":null}]'
        const parent = token('full-parent', { createdAt: T0 + 1 })
        const full = token('full', {
          createdAt: T0 + 2,
          subject: odd,
          description: odd,
          revokedAt: T0 + 3,
          revokeReason: odd,
          lastUsedAt: T0 + 4,
          createdBy: 'full-parent',
          parentId: 'full-parent',
          kid: 'kid-1',
          boundTo: 'full-parent',
          constraints: { credits: { refill: null } },
          creditsRemaining: 9_007_199_254_740_991,
          creditsRefilledAt: T0 + 5,
          audiences: ['https://a.example', odd],
        })
        assert.equal(await store.insertToken(parent, audit('token.issue')), true)
        assert.equal(await store.insertToken(full, audit('token.issue')), true)
        assert.deepEqual(await store.getToken('full'), full)
        assert.deepEqual(await store.getTokens(['full', 'full-parent']).then((rows) => rows.sort((a, b) => a.createdAt - b.createdAt)), [parent, full])
        assert.deepEqual(await store.listChildTokens(['full-parent']), [full])
        const listed = (await store.listTokens({ now: T0, appId: 'root' }, { limit: 100 })).rows
        assert.deepEqual(
          listed.filter((r) => r.id.startsWith('full')),
          [parent, full],
        )
      }),
    )

    test(
      'spends credits atomically: 40 concurrent spends against 15 succeed exactly 15 times, and none below zero',
      withStore(async (store) => {
        await store.insertToken(token('cr', { constraints: { credits: { refill: null } }, creditsRemaining: 15, creditsRefilledAt: T0 }), audit('token.issue'))
        const results = await Promise.all(Array.from({ length: 40 }, () => store.spendCredit('cr', T0 + 1)))
        assert.equal(results.filter((r) => r !== null).length, 15)
        assert.deepEqual(
          results.filter((r): r is number => r !== null).sort((a, b) => a - b),
          Array.from({ length: 15 }, (_, i) => i),
        )
        assert.equal((await store.getToken('cr'))?.creditsRemaining, 0)
        assert.equal(await store.spendCredit('root-token', T0), null, 'a token without credits spends none')
      }),
    )

    test(
      'spends along a chain all or none: 40 concurrent spends by two derived tokens against a parent holding 15 succeed exactly 15 times',
      withStore(async (store) => {
        const credits = (n: number) => ({ constraints: { credits: { refill: null } }, creditsRemaining: n, creditsRefilledAt: T0 })
        await store.insertToken(token('cp', credits(15)), audit('token.issue'))
        await store.insertToken(token('cmid', { parentId: 'cp' }), audit('token.derive'))
        await store.insertToken(token('ck1', { parentId: 'cmid', ...credits(12) }), audit('token.derive'))
        await store.insertToken(token('ck2', { parentId: 'cp', ...credits(12) }), audit('token.derive'))
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => store.spendCredit(i % 2 === 0 ? 'ck1' : 'ck2', T0 + 1, true)))
        assert.equal(results.filter((r) => r !== null).length, 15)
        const left = async (id: string) => (await store.getToken(id))?.creditsRemaining
        assert.equal(await left('cp'), 0)
        assert.equal((await left('ck1'))! + (await left('ck2'))!, 24 - 15, 'a refused spend spends no child credit either')
        assert.equal(await store.spendCredit('cmid', T0 + 1, true), null, 'a token without credits spends none, nor its ancestors')
        const had = (await left('ck1'))!
        assert.equal(await store.spendCredit('ck1', T0 + 1), had - 1, 'without ancestors only the row itself is spent')
        assert.equal(await left('cp'), 0)
      }),
    )

    test(
      'refills lazily in the spending statement: topped up to the amount once per elapsed interval, never lowered',
      withStore(async (store) => {
        const refill = { amount: 5, intervalMs: HOUR }
        await store.insertToken(token('rf', { constraints: { credits: { refill } }, creditsRemaining: 1, creditsRefilledAt: T0 }), audit('token.issue'))
        assert.equal(await store.spendCredit('rf', T0 + 10), 0)
        assert.equal(await store.spendCredit('rf', T0 + HOUR - 1), null)
        // Two and a half intervals later: one top-up (not three), the refill time moved on by two whole intervals.
        assert.equal(await store.spendCredit('rf', T0 + 2.5 * HOUR), 4)
        assert.equal((await store.getToken('rf'))?.creditsRefilledAt, T0 + 2 * HOUR)
        await store.insertToken(token('big', { constraints: { credits: { refill } }, creditsRemaining: 100, creditsRefilledAt: T0 }), audit('token.issue'))
        assert.equal(await store.spendCredit('big', T0 + 3 * HOUR), 99, 'a refill never lowers a larger balance')
      }),
    )

    test(
      'sets constraints of several tokens in one audited write, and reads them back on the token row',
      withStore(async (store) => {
        await store.insertToken(token('c1'), audit('token.issue'))
        await store.insertToken(token('c2', { parentId: 'c1' }), audit('token.issue'))
        const constraints = { allowedCidrs: ['10.0.0.0/8'], rateLimit: { limit: 5, windowMs: 60_000 } }
        await store.setTokenConstraints(
          [
            { id: 'c1', constraints, creditsRemaining: 3, creditsRefilledAt: T0 },
            { id: 'c2', constraints: null, creditsRemaining: null, creditsRefilledAt: null },
          ],
          audit('token.constraints', { target: 'c1' }),
        )
        const c1 = await store.getToken('c1')
        assert.deepEqual([c1?.constraints, c1?.creditsRemaining, c1?.creditsRefilledAt], [constraints, 3, T0])
        assert.deepEqual(
          (await store.getTokens(['c1'])).map((t) => t.constraints),
          [constraints],
        )
        assert.equal((await store.getToken('c2'))?.constraints, null)
        assert.equal((await store.listAuditEvents({ action: 'token.constraints', limit: 10 })).rows.length, 1)
      }),
    )

    test('migrates, reports ready, and initialises once', async () => {
      const { store, cleanup } = await makeStore()
      try {
        await store.migrate()
        await store.migrate() // idempotent
        assert.equal(await store.ready(), true)
        assert.equal(await store.getMeta('initialized_at'), null)
        const seed = { scopes: [scope('a:read')], rootApp: app('root', { isRoot: true }), rootToken: token('root-token'), audit: audit('instance.init') }
        assert.equal(await store.initialize(seed), true)
        assert.equal(await store.initialize({ ...seed, audit: audit('instance.init') }), false)
        assert.equal(await store.getMeta('initialized_at'), String(seed.audit.at))
        assert.equal(await store.countAuditEvents({}), 1, 'the refused second initialise wrote nothing')
      } finally {
        await cleanup()
      }
    })

    test(
      'lists scopes by name and adds a new scope to the root app',
      withStore(async (store) => {
        await store.insertScope(scope('b:read'), audit('scope.create'))
        assert.deepEqual(
          (await store.listScopes()).map((s) => s.name),
          ['a:read', 'a:write', 'b:read'],
        )
        assert.deepEqual((await store.listScopes()).find((s) => s.name === 'a:write')?.implies, ['a:read'])
        assert.deepEqual((await store.getApp('root'))?.allowedScopes, ['a:read', 'a:write', 'b:read'])
        const events = await store.countAuditEvents({})
        assert.equal(await store.insertScope(scope('b:read'), audit('scope.create')), false, 'a duplicate scope is refused')
        assert.equal(await store.countAuditEvents({}), events, 'and writes nothing')
        assert.deepEqual((await store.getApp('root'))?.allowedScopes, ['a:read', 'a:write', 'b:read'])
      }),
    )

    test(
      'creates, reads, updates and pages apps',
      withStore(async (store) => {
        for (const [i, id] of ['app-c', 'app-a', 'app-b'].entries()) await store.insertApp(app(id, { createdAt: T0 + (i === 0 ? 5 : 5) }), audit('app.create'))
        assert.deepEqual(await store.getApp('app-a'), app('app-a', { createdAt: T0 + 5 }))
        assert.equal(await store.getApp('nope'), null)
        await store.updateApp('app-a', { name: 'renamed', disabledAt: T0 + 9, maxTokenLifetimeMs: HOUR }, audit('app.update'))
        assert.equal((await store.getApp('app-a'))?.name, 'renamed')
        assert.equal((await store.getApp('app-a'))?.disabledAt, T0 + 9)
        assert.equal((await store.getApp('app-a'))?.maxTokenLifetimeMs, HOUR)
        const first = await store.listApps({ limit: 2 })
        assert.deepEqual(ids(first.rows), ['root', 'app-a'], 'ordered by (createdAt, id)')
        assert.equal(first.hasNextPage, true)
        const last = first.rows.at(-1) as AppRecord
        const second = await store.listApps({ limit: 2, after: { createdAt: last.createdAt, id: last.id } })
        assert.deepEqual(ids(second.rows), ['app-b', 'app-c'])
        assert.equal(second.hasNextPage, false)
        assert.deepEqual(ids((await store.listApps({ appId: 'app-b', limit: 10 })).rows), ['app-b'])
        assert.equal(await store.countApps({}), 4)
        assert.equal(await store.countApps({ appId: 'app-b' }), 1)
        assert.equal(await store.countApps({ appId: 'nope' }), 0)
      }),
    )

    test(
      'lists and counts tokens by each filter',
      withStore(async (store) => {
        const now = T0 + 10 * HOUR
        await store.insertApp(app('other'), audit('app.create'))
        const rows = [
          token('t-app', { appId: 'other', createdAt: T0 + 1 }),
          token('t-subject', { subject: 'alice', createdAt: T0 + 2 }),
          token('t-revoked', { revokedAt: T0 + 3, revokeReason: 'leak', createdAt: T0 + 3 }),
          token('t-expired', { expiresAt: T0 + HOUR, createdAt: T0 + 4 }),
          token('t-write', { scopes: ['a:write'], createdAt: T0 + 5 }),
          token('t-forever', { expiresAt: null, createdAt: T0 + 6, kind: 'JWT', secretHash: null }),
        ]
        for (const row of rows) assert.equal(await store.insertToken(row, audit('token.issue')), true)
        assert.deepEqual(await store.getToken('t-revoked'), rows[2])
        assert.equal(await store.getToken('nope'), null)
        const list = async (filter: Omit<Parameters<Store['listTokens']>[0], 'now'>) => {
          const full = { now, ...filter }
          const listed = ids((await store.listTokens(full, { limit: 100 })).rows)
          assert.equal(await store.countTokens(full), listed.length, `count agrees with list for ${JSON.stringify(filter)}`)
          return listed
        }
        assert.deepEqual(await list({}), ['root-token', 't-app', 't-subject', 't-revoked', 't-expired', 't-write', 't-forever'])
        assert.deepEqual(await list({ appId: 'other' }), ['t-app'])
        assert.deepEqual(await list({ subject: 'alice' }), ['t-subject'])
        assert.deepEqual(await list({ subject: 'bob' }), [])
        assert.deepEqual(await list({ status: 'REVOKED' }), ['t-revoked'])
        assert.deepEqual(await list({ status: 'EXPIRED' }), ['t-expired'])
        assert.deepEqual(await list({ status: 'ACTIVE' }), ['root-token', 't-app', 't-subject', 't-write', 't-forever'])
        assert.deepEqual(await list({ scope: 'a:write' }), ['root-token', 't-write'], 'as granted, not through implies')
        assert.deepEqual(await list({ scope: 'a' }), [], 'a whole scope name, not a prefix')
        assert.deepEqual(await list({ createdBefore: T0 + 3 }), ['root-token', 't-app', 't-subject'])
        assert.deepEqual(await list({ expiresBefore: T0 + HOUR }), ['t-expired'])
        assert.deepEqual(await list({ neverExpires: true }), ['t-forever'])
        assert.deepEqual(await list({ appId: 'root', status: 'ACTIVE', scope: 'a:read', neverExpires: false }), ['root-token', 't-subject', 't-forever'])
        assert.deepEqual(await store.jwtExpiriesByKid(now, 24 * HOUR), new Map(), 'no JWT expires in the future')
        await store.insertToken(token('t-jwt', { kind: 'JWT', secretHash: null, expiresAt: T0 + 7 * HOUR, kid: 'k1' }), audit('token.issue'))
        await store.insertToken(token('t-jwt-long', { kind: 'JWT', secretHash: null, expiresAt: T0 + 100 * 24 * HOUR, kid: 'k1' }), audit('token.issue'))
        await store.insertToken(token('t-jwt-old', { kind: 'JWT', secretHash: null, expiresAt: T0 + 2 * HOUR, kid: null }), audit('token.issue'))
        await store.insertToken(token('t-jwt-revoked', { kind: 'JWT', secretHash: null, expiresAt: T0 + 9 * HOUR, kid: 'k2' }), audit('token.issue'))
        await store.revokeTokenCascade('t-jwt-revoked', T0, null, audit('token.revoke'))
        assert.deepEqual(
          await store.jwtExpiriesByKid(T0, 8 * HOUR),
          new Map<string | null, number>([
            ['k1', T0 + 8 * HOUR],
            [null, T0 + 2 * HOUR],
          ]),
          'a revoked JWT pins nothing; the cap bounds a long one',
        )
      }),
    )

    test(
      'pages tokens by keyset, stable while rows are inserted',
      withStore(async (store) => {
        for (let i = 1; i <= 6; i++) await store.insertToken(token(`t${i}`, { createdAt: T0 + i }), audit('token.issue'))
        const now = T0
        const first = await store.listTokens({ now }, { limit: 3 })
        assert.deepEqual(ids(first.rows), ['root-token', 't1', 't2'])
        assert.equal(first.hasNextPage, true)
        // Inserted before and after the cursor, and one sharing the cursor's createdAt: none disturbs the next page.
        await store.insertToken(token('t0', { createdAt: T0 }), audit('token.issue'))
        await store.insertToken(token('t2b', { createdAt: T0 + 2 }), audit('token.issue'))
        await store.insertToken(token('t9', { createdAt: T0 + 9 }), audit('token.issue'))
        const cursor = first.rows.at(-1) as TokenRecord
        const second = await store.listTokens({ now }, { limit: 3, after: { createdAt: cursor.createdAt, id: cursor.id } })
        assert.deepEqual(ids(second.rows), ['t2b', 't3', 't4'])
        const third = await store.listTokens({ now }, { limit: 3, after: { createdAt: T0 + 4, id: 't4' } })
        assert.deepEqual(ids(third.rows), ['t5', 't6', 't9'])
        assert.equal(third.hasNextPage, false)
        const filtered = await store.listTokens({ now, appId: 'root' }, { limit: 2, after: { createdAt: T0 + 5, id: 't5' } })
        assert.deepEqual(ids(filtered.rows), ['t6', 't9'])
      }),
    )

    test(
      'inserts a derived token only under an active parent',
      withStore(async (store) => {
        await store.insertToken(token('parent', { expiresAt: T0 + HOUR }), audit('token.issue'))
        await store.insertToken(token('gone', { revokedAt: T0 }), audit('token.issue'))
        const before = await store.countAuditEvents({})
        assert.equal(await store.insertToken(token('c1', { parentId: 'parent' }), audit('token.derive'), T0), true)
        assert.equal(await store.insertToken(token('c2', { parentId: 'parent' }), audit('token.derive'), T0 + HOUR), false, 'parent expired at that instant')
        assert.equal(await store.insertToken(token('c3', { parentId: 'gone' }), audit('token.derive'), T0), false, 'parent revoked')
        assert.equal(await store.insertToken(token('c4', { parentId: 'missing' }), audit('token.derive'), T0), false, 'parent unknown')
        assert.equal(await store.getToken('c2'), null)
        assert.equal(await store.getToken('c3'), null)
        assert.equal(await store.countAuditEvents({}), before + 1, 'a refused insert writes no audit event')
      }),
    )

    test(
      'reads tokens, apps and children by many ids at once, each row as the single read gives it',
      withStore(async (store) => {
        await store.insertApp(app('other'), audit('app.create'))
        await store.insertToken(token('p1'), audit('token.issue'))
        await store.insertToken(token('p2', { appId: 'other', scopes: ['a:read', 'a:write'] }), audit('token.issue'))
        await store.insertToken(token('c1', { parentId: 'p1' }), audit('token.derive'), T0)
        await store.insertToken(token('c2', { parentId: 'p1' }), audit('token.derive'), T0)
        await store.insertToken(token('g1', { parentId: 'c1' }), audit('token.derive'), T0)
        const byId = <T extends { id: string }>(rows: T[]): T[] => [...rows].sort((a, b) => a.id.localeCompare(b.id))
        assert.deepEqual(byId(await store.getTokens(['p2', 'missing', 'p1', 'p1'])), [await store.getToken('p1'), await store.getToken('p2')])
        assert.deepEqual(await store.getTokens([]), [])
        await store.insertToken(token('s1', { subject: 'alice' }), audit('token.issue'))
        assert.deepEqual(byId(await store.getTokenNames(['p2', 'missing', 's1', 'p1'])), [
          { id: 'p1', appId: 'root', subject: null, name: 'p1' },
          { id: 'p2', appId: 'other', subject: null, name: 'p2' },
          { id: 's1', appId: 'root', subject: 'alice', name: 's1' },
        ])
        assert.deepEqual(await store.getTokenNames([]), [])
        assert.deepEqual(byId(await store.getApps(['other', 'root', 'nope'])), [await store.getApp('other'), await store.getApp('root')])
        assert.deepEqual(await store.getApps([]), [])
        assert.deepEqual(ids(byId(await store.listChildTokens(['p1', 'p2', 'missing']))), ['c1', 'c2'], 'children only, not grandchildren')
        assert.deepEqual(ids(await store.listChildTokens(['c1'])), ['g1'])
        assert.deepEqual(await store.listChildTokens([]), [])
      }),
    )

    test(
      'revokes in cascade to grandchildren, once',
      withStore(async (store) => {
        await store.insertToken(token('p'), audit('token.issue'))
        await store.insertToken(token('c', { parentId: 'p' }), audit('token.derive'))
        await store.insertToken(token('g', { parentId: 'c' }), audit('token.derive'))
        await store.insertToken(token('g-old', { parentId: 'c', revokedAt: T0, revokeReason: 'earlier' }), audit('token.derive'))
        await store.insertToken(token('other'), audit('token.issue'))
        const revoked = await store.revokeTokenCascade('p', T0 + 5, 'compromised', audit('token.revoke'))
        assert.deepEqual(revoked.sort(), ['c', 'g', 'p'])
        assert.equal((await store.getToken('g'))?.revokedAt, T0 + 5)
        assert.equal((await store.getToken('g'))?.revokeReason, 'compromised')
        assert.equal((await store.getToken('g-old'))?.revokeReason, 'earlier', 'an earlier revocation is kept')
        assert.equal((await store.getToken('other'))?.revokedAt, null)
        assert.deepEqual(await store.revokeTokenCascade('p', T0 + 9, 'again', audit('token.revoke')), [])
        assert.equal((await store.getToken('p'))?.revokedAt, T0 + 5, 'idempotent: the first instant stays')
        await store.insertToken(token('x'), audit('token.issue'))
        await store.insertToken(token('y', { parentId: 'x' }), audit('token.derive'))
        assert.deepEqual((await store.revokeTokensCascade(['x', 'p', 'other'], T0 + 10, null, audit('token.bulk-revoke'))).sort(), ['other', 'x', 'y'])
        const [event] = (await store.listAuditEvents({ action: 'token.bulk-revoke', limit: 1 })).rows
        assert.deepEqual((event?.details.revoked as string[]).sort(), ['other', 'x', 'y'], 'the audit event names what was revoked')
      }),
    )

    test(
      'rotates a token: successor inserted, children moved, old end set',
      withStore(async (store) => {
        await store.insertToken(token('old'), audit('token.issue'))
        await store.insertToken(token('kid', { parentId: 'old' }), audit('token.derive'))
        await store.rotateToken('old', token('new', { createdAt: T0 + 1 }), { expiresAt: T0 + 60_000 }, audit('token.rotate'))
        assert.equal((await store.getToken('new'))?.id, 'new')
        assert.equal(await store.getMeta(rotatedKey('old')), 'new', 'the rotation is recorded')
        assert.equal((await store.getToken('kid'))?.parentId, 'new')
        assert.equal((await store.getToken('old'))?.expiresAt, T0 + 60_000)
        await store.rotateToken('new', token('newer', { createdAt: T0 + 2 }), { revokedAt: T0 + 3, revokeReason: 'rotated' }, audit('token.rotate'))
        assert.equal((await store.getToken('new'))?.revokeReason, 'rotated')
        assert.equal((await store.getToken('kid'))?.parentId, 'newer')
      }),
    )

    test(
      'a rotated-out token in its grace is listed and counted as REVOKED, not ACTIVE, once a token down its successor chain is revoked',
      withStore(async (store) => {
        const now = T0 + 10
        const grace = (id: string) => ({ expiresAt: T0 + HOUR, constraints: { successor: id } })
        const list = async (status: 'ACTIVE' | 'EXPIRED' | 'REVOKED') => {
          const filter = { now, status }
          const listed = ids((await store.listTokens(filter, { limit: 100 })).rows)
          assert.equal(await store.countTokens(filter), listed.length, `count agrees with list for ${status}`)
          return listed
        }
        // A chain of rotations as rotateToken writes it: first -> second -> third, the old ones in a grace.
        await store.insertToken(token('first'), audit('token.issue'))
        await store.rotateToken('first', token('second', { createdAt: T0 + 1 }), grace('second'), audit('token.rotate'))
        await store.rotateToken('second', token('third', { createdAt: T0 + 2 }), grace('third'), audit('token.rotate'))
        // An unrelated rotation whose successor lives; one whose grace already ended; one whose chain runs into a
        // row that is gone; and a cycle no rotation writes, which must still end.
        await store.insertToken(token('kept', grace('kept-next')), audit('token.issue'))
        await store.insertToken(token('kept-next', { createdAt: T0 + 3 }), audit('token.issue'))
        await store.insertToken(token('ended', { expiresAt: T0 + 5, constraints: { successor: 'third' } }), audit('token.issue'))
        await store.insertToken(token('dangling', grace('gone')), audit('token.issue'))
        await store.insertToken(token('loop-a', grace('loop-b')), audit('token.issue'))
        await store.insertToken(token('loop-b', grace('loop-a')), audit('token.issue'))
        const everyone = ['root-token', 'first', 'second', 'third', 'kept', 'kept-next', 'ended', 'dangling', 'loop-a', 'loop-b']
        assert.deepEqual(new Set(await list('ACTIVE')), new Set(everyone.filter((id) => id !== 'ended')), 'every grace is live while no successor is revoked')
        assert.deepEqual(await list('REVOKED'), [])

        assert.deepEqual(await store.revokeTokenCascade('third', T0 + 9, 'leaked', audit('token.revoke')), ['third'], 'the cascade does not write the predecessors')
        assert.deepEqual(new Set(await list('REVOKED')), new Set(['first', 'second', 'third']), 'the whole chain up from the revoked successor')
        assert.deepEqual(new Set(await list('ACTIVE')), new Set(['root-token', 'kept', 'kept-next', 'dangling', 'loop-a', 'loop-b']))
        assert.deepEqual(await list('EXPIRED'), ['ended'], 'a grace that ended reads EXPIRED, as its status does')
        // Every token is under exactly one status.
        const all = [...(await list('ACTIVE')), ...(await list('EXPIRED')), ...(await list('REVOKED'))]
        assert.deepEqual(all.sort(), [...everyone].sort())
        // Combined with the other conditions (the clause is parenthesised: an OR must not escape it).
        assert.deepEqual(ids((await store.listTokens({ now, status: 'REVOKED', appId: 'other' }, { limit: 100 })).rows), [])
        assert.deepEqual(ids((await store.listTokens({ now, status: 'REVOKED', search: 'first' }, { limit: 100 })).rows), ['first'])
      }),
    )

    test(
      "the status filters apply the instance's lifetime policy (maxLifetimeMs) and the app's, counted from creation",
      withStore(async (store) => {
        await store.insertApp(app('short', { maxTokenLifetimeMs: 2 * HOUR }), audit('app.create'))
        await store.insertToken(token('old', { createdAt: T0, expiresAt: T0 + 30 * 24 * HOUR }), audit('token.issue'))
        await store.insertToken(token('young', { createdAt: T0 + 9 * HOUR, expiresAt: T0 + 30 * 24 * HOUR }), audit('token.issue'))
        await store.insertToken(token('short-lived', { appId: 'short', createdAt: T0 + 7 * HOUR, expiresAt: null }), audit('token.issue'))
        const list = async (status: 'ACTIVE' | 'EXPIRED', maxLifetimeMs?: number) => {
          const filter = { now: T0 + 10 * HOUR, status, maxLifetimeMs }
          const listed = ids((await store.listTokens(filter, { limit: 100 })).rows)
          assert.equal(await store.countTokens(filter), listed.length, `count agrees with list for ${status}`)
          return listed
        }
        assert.deepEqual(await list('ACTIVE'), ['old', 'root-token', 'young'], "the app's maximum alone")
        assert.deepEqual(await list('EXPIRED'), ['short-lived'])
        // An instance maximum of 5 hours: only what was created within the last 5 hours lives.
        assert.deepEqual(await list('ACTIVE', 5 * HOUR), ['young'])
        assert.deepEqual(await list('EXPIRED', 5 * HOUR), ['old', 'root-token', 'short-lived'])
      }),
    )

    test(
      "rotation hands the successor the old token's balance as the transaction finds it, not as the caller read it",
      withStore(async (store) => {
        const credits = { constraints: { credits: { refill: { amount: 9, intervalMs: HOUR } } }, creditsRemaining: 10, creditsRefilledAt: T0 }
        await store.insertToken(token('cold', credits), audit('token.issue'))
        const read = await store.getToken('cold')
        assert.equal(await store.spendCredit('cold', T0 + 1), 9, 'a credit spent after the caller read the row')
        const handedOver = { constraints: { ...credits.constraints, creditsFrom: 'cnew' }, creditsRemaining: 0, creditsRefilledAt: null }
        await store.rotateToken(
          'cold',
          token('cnew', { ...credits, creditsRemaining: read?.creditsRemaining ?? null }),
          { expiresAt: T0 + HOUR, ...handedOver },
          audit('token.rotate'),
        )
        const successor = await store.getToken('cnew')
        assert.deepEqual([successor?.creditsRemaining, successor?.creditsRefilledAt], [9, T0])
        const old = await store.getToken('cold')
        assert.deepEqual([old?.creditsRemaining, old?.creditsRefilledAt, old?.constraints?.creditsFrom], [0, null, 'cnew'])
        assert.equal(await store.spendCredit('cold', T0 + 2 * HOUR), null, 'the old row neither spends nor refills')
      }),
    )

    test(
      'narrows a token and its descendants to what their parents keep',
      withStore(async (store) => {
        await store.insertToken(token('p', { scopes: ['a:read', 'a:write', 'b'] }), audit('token.issue'))
        await store.insertToken(token('c', { parentId: 'p', scopes: ['a:write', 'b'] }), audit('token.derive'))
        await store.insertToken(token('g', { parentId: 'c', scopes: ['b'] }), audit('token.derive'))
        await store.insertToken(token('c2', { parentId: 'p', scopes: ['a:read'] }), audit('token.derive'))
        // 11.12: a narrowing that would leave a descendant with no scope is refused whole.
        const events = await store.countAuditEvents({})
        await assert.rejects(store.narrowTokenScopes('p', ['a:read', 'a:write'], audit('token.trim')), (e: Error) => e instanceof EmptiedTokensError && e.ids.join() === 'g')
        assert.deepEqual((await store.getToken('p'))?.scopes, ['a:read', 'a:write', 'b'], 'a refused narrowing writes nothing')
        assert.equal(await store.countAuditEvents({}), events)
        // A child keeps what it held that its parent still implies (a:write → a:read).
        const close = (scopes: readonly string[]) => new Set(scopes.flatMap((s) => (s === 'a:write' ? [s, 'a:read'] : [s])))
        const changed = await store.narrowTokenScopes('p', ['a:read', 'b'], audit('token.trim'), close)
        assert.deepEqual(
          changed.sort((x, y) => x.id.localeCompare(y.id)),
          [
            { id: 'c', scopes: ['a:read', 'b'] },
            { id: 'p', scopes: ['a:read', 'b'] },
          ],
        )
        assert.deepEqual((await store.getToken('g'))?.scopes, ['b'])
        assert.deepEqual((await store.getToken('c2'))?.scopes, ['a:read'], 'an unaffected child is untouched')
        assert.deepEqual(await store.narrowTokenScopes('p', ['a:read', 'b'], audit('token.trim'), close), [], 'nothing left to narrow')
      }),
    )

    test(
      'chains audit events, filters them and verifies the chain',
      withStore(async (store) => {
        await store.insertApp(app('x'), audit('app.create', { appId: 'x', actor: 'root-token', target: 'x', at: T0 + 100 }))
        await store.insertToken(
          token('tx', { appId: 'x' }),
          audit('token.issue', { appId: 'x', actor: 'root-token', target: 'tx', at: T0 + 200, details: { zeta: 1, scopes: ['a:read'], alpha: { y: null, x: 'é' } } }),
        )
        await store.insertClientSecret(
          { id: 'cs', appId: 'x', secretHash: 'h', createdAt: T0, revokedAt: null, scopes: null, createdBy: null, lastUsedAt: null },
          audit('secret.create', { appId: 'x', target: 'cs', at: T0 + 300 }),
        )
        const all = await store.listAuditEvents({ limit: 100 })
        assert.deepEqual(
          all.rows.map((e) => e.seq),
          [1, 2, 3, 4],
        )
        assert.deepEqual(
          all.rows.map((e) => e.action),
          ['instance.init', 'app.create', 'token.issue', 'secret.create'],
        )
        // Key order matters to the hash: a store must give the details back as written (jsonb would sort the keys).
        assert.deepEqual(JSON.stringify(all.rows[2]?.details), JSON.stringify({ zeta: 1, scopes: ['a:read'], alpha: { y: null, x: 'é' } }))
        assert.equal(await store.getMeta('audit_head'), all.rows[3]?.hash)
        assert.deepEqual(await verifyAuditChain(store), { ok: true, events: 4, keyed: 0, head: { seq: 4, hash: all.rows[3]?.hash } })
        const actions = async (f: Parameters<Store['listAuditEvents']>[0]) => (await store.listAuditEvents(f)).rows.map((e) => e.action)
        assert.deepEqual(await actions({ appId: 'x', limit: 10 }), ['app.create', 'token.issue', 'secret.create'])
        assert.deepEqual(await actions({ actor: 'root-token', limit: 10 }), ['app.create', 'token.issue'])
        assert.deepEqual(await actions({ action: 'token.issue', limit: 10 }), ['token.issue'])
        assert.deepEqual(await actions({ target: 'cs', limit: 10 }), ['secret.create'])
        assert.deepEqual(await actions({ from: T0 + 200, to: T0 + 300, limit: 10 }), ['token.issue'], 'from inclusive, to exclusive')
        assert.deepEqual(await actions({ after: 2, limit: 1 }), ['token.issue'])
        assert.equal((await store.listAuditEvents({ after: 2, limit: 1 })).hasNextPage, true)
        assert.equal(await store.countAuditEvents({ appId: 'x' }), 3)
        assert.equal(await store.countAuditEvents({ action: 'nothing' }), 0)
      }),
    )

    test(
      "adds up per-day usage across batches and lists a token's days from the one asked for, by day then scope",
      withStore(async (store) => {
        await store.insertToken(token('d'), audit('token.issue'))
        await store.recordUsage([], [], [{ tokenId: 'd', day: '2026-12-01', scope: 'a:read', count: 2 }])
        await store.recordUsage(
          [],
          [],
          [
            { tokenId: 'd', day: '2026-12-01', scope: 'a:read', count: 3 },
            { tokenId: 'd', day: '2026-12-01', scope: 'a:read', count: 1 },
            { tokenId: 'd', day: '2026-11-30', scope: 'a:write', count: 1 },
            { tokenId: 'd', day: '2026-12-02', scope: '', count: 9 },
            { tokenId: 'e', day: '2026-12-01', scope: 'a:read', count: 4 },
          ],
        )
        assert.deepEqual(await store.listDailyUsage('d', '2026-11-01'), [
          { tokenId: 'd', day: '2026-11-30', scope: 'a:write', count: 1 },
          { tokenId: 'd', day: '2026-12-01', scope: 'a:read', count: 6 },
        ])
        assert.deepEqual(await store.listDailyUsage('d', '2026-12-01'), [{ tokenId: 'd', day: '2026-12-01', scope: 'a:read', count: 6 }])
        assert.deepEqual(await store.listDailyUsage('nobody', '2000-01-01'), [])
      }),
    )

    test(
      "deletes per-day usage of days before the one given, every token's, at most `limit` rows a call; later days stay",
      withStore(async (store) => {
        await store.insertToken(token('p'), audit('token.issue'))
        const old = Array.from({ length: 7 }, (_, i) => ({ tokenId: i % 2 === 0 ? 'p' : 'q', day: `2026-08-0${i + 1}`, scope: 'a:read', count: 1 }))
        const kept = [
          { tokenId: 'p', day: '2026-09-01', scope: 'a:read', count: 2 },
          { tokenId: 'q', day: '2026-09-02', scope: 'a:write', count: 3 },
        ]
        await store.recordUsage([], [], [...old, ...kept])
        assert.equal(await store.deleteDailyUsageBefore('2026-09-01', 5), 5, 'one batch of at most the limit')
        assert.equal(await store.deleteDailyUsageBefore('2026-09-01', 5), 2, 'the rest')
        assert.equal(await store.deleteDailyUsageBefore('2026-09-01', 5), 0)
        assert.deepEqual(await store.listDailyUsage('p', '2000-01-01'), [kept[0]])
        assert.deepEqual(await store.listDailyUsage('q', '2000-01-01'), [kept[1]])
      }),
    )

    test(
      'searches tokens by name (ASCII case ignored, wildcards literal) or exact id, and sorts by a key with nulls mapped, paging by keyset',
      withStore(async (store) => {
        const rows: [string, string, number | null, number | null][] = [
          ['k1', 'Billing Export', T0 + 3 * HOUR, null],
          ['k2', 'billing_import', null, T0 + 5],
          ['k3', '100% done', T0 + HOUR, T0 + 9],
          ['k4', 'other', T0 + 3 * HOUR, T0 + 1],
        ]
        for (const [id, name, expiresAt, lastUsedAt] of rows) await store.insertToken(token(id, { name, expiresAt, lastUsedAt }), audit('token.issue'))
        const now = T0
        const names = async (search: string) => ids((await store.listTokens({ now, search }, { limit: 10 })).rows)
        assert.deepEqual(await names('BILLING'), ['k1', 'k2'])
        assert.deepEqual(await names('_'), ['k2'], '_ is a character, not a wildcard')
        assert.deepEqual(await names('%'), ['k3'], '% is a character, not a wildcard')
        assert.deepEqual(await names('k4'), ['k4'], 'an exact id')
        assert.deepEqual(await names('k4x'), [], 'an id matches only whole')
        assert.equal(await store.countTokens({ now, search: 'billing' }), 2)
        const walk = async (order: { sort: 'CREATED' | 'LAST_USED' | 'EXPIRES'; descending: boolean }) => {
          const out: string[] = []
          let after: { key: number; id: string } | undefined
          for (;;) {
            const page = await store.listTokens({ now, search: undefined }, { limit: 1, order: { ...order, after } })
            out.push(...ids(page.rows))
            const last = page.rows[page.rows.length - 1]
            if (!page.hasNextPage || !last) return out
            after = { key: tokenSortKey(last, order.sort), id: last.id }
          }
        }
        const all = ids((await store.listTokens({ now }, { limit: 10 })).rows).filter((id) => id.startsWith('k'))
        assert.deepEqual(all, ['k1', 'k2', 'k3', 'k4'])
        const mine = (list: string[]) => list.filter((id) => id.startsWith('k'))
        assert.deepEqual(mine(await walk({ sort: 'EXPIRES', descending: false })), ['k3', 'k1', 'k4', 'k2'], 'ties by id; never expiring last')
        assert.deepEqual(mine(await walk({ sort: 'EXPIRES', descending: true })), ['k2', 'k4', 'k1', 'k3'])
        assert.deepEqual(mine(await walk({ sort: 'LAST_USED', descending: false })), ['k1', 'k4', 'k2', 'k3'], 'never used first')
        assert.deepEqual(mine(await walk({ sort: 'LAST_USED', descending: true })), ['k3', 'k2', 'k4', 'k1'])
        assert.deepEqual(mine(await walk({ sort: 'CREATED', descending: true })).length, 4)
      }),
    )

    test(
      'adds up usage counts and advances lastUsedAt, never backwards',
      withStore(async (store) => {
        await store.insertToken(token('u'), audit('token.issue'))
        await store.insertToken(token('v'), audit('token.issue'))
        await store.recordUsage([{ tokenId: 'u', scope: 'a:read', count: 2, lastUsedAt: T0 + 10 }])
        await store.recordUsage([
          { tokenId: 'u', scope: 'a:read', count: 3, lastUsedAt: T0 + 5 },
          { tokenId: 'u', scope: 'a:write', count: 1, lastUsedAt: T0 + 7 },
          { tokenId: 'v', scope: '', count: 1, lastUsedAt: T0 + 20 },
        ])
        assert.deepEqual(await store.getUsage('u'), [
          { tokenId: 'u', scope: 'a:read', count: 5, lastUsedAt: T0 + 10 },
          { tokenId: 'u', scope: 'a:write', count: 1, lastUsedAt: T0 + 7 },
        ])
        assert.deepEqual(await store.getUsage('v'), [], "scope '' records no usage row")
        assert.equal((await store.getToken('v'))?.lastUsedAt, T0 + 20, "scope '' advances lastUsedAt")
        assert.equal((await store.getToken('u'))?.lastUsedAt, T0 + 10, 'the latest use wins')
        await store.recordUsage([{ tokenId: 'v', scope: 'a:read', count: 1, lastUsedAt: T0 + 30 }])
        // By token, then scope in byte order ('B:z' before 'a:read', as a JavaScript sort), whatever order the ids are asked in.
        await store.recordUsage([{ tokenId: 'u', scope: 'B:z', count: 1, lastUsedAt: T0 + 40 }])
        assert.deepEqual(
          (await store.listUsage(['v', 'w', 'u'])).map((u) => `${u.tokenId} ${u.scope}`),
          ['u B:z', 'u a:read', 'u a:write', 'v a:read'],
        )
        assert.deepEqual(
          await store.listUsedScopes(['v', 'w', 'u']),
          (await store.listUsage(['u', 'v'])).map(({ tokenId, scope }) => ({ tokenId, scope })),
        )
        assert.deepEqual(await store.listUsedScopes([]), [])
        assert.deepEqual(await store.listUsage([]), [])
        await store.recordUsage([])
      }),
    )

    test(
      'keeps one ACTIVE signing key: inserting retires the others, retiring ends them',
      withStore(async (store) => {
        await store.insertSigningKey(key('k1'), T0 + HOUR, audit('key.create'))
        await store.insertSigningKey(key('k2', { createdAt: T0 + 1 }), T0 + 2 * HOUR, audit('key.rotate'))
        const keys = await store.listSigningKeys()
        assert.deepEqual(
          keys.map((k) => [k.kid, k.status, k.retireAfter]),
          [
            ['k1', 'RETIRING', T0 + 2 * HOUR],
            ['k2', 'ACTIVE', null],
          ],
        )
        await store.retireSigningKeys(['k1', 'k2'], audit('key.retire'))
        assert.deepEqual(
          (await store.listSigningKeys()).map((k) => k.status),
          ['RETIRED', 'ACTIVE'],
          'only RETIRING keys retire',
        )
        const before = await store.countAuditEvents({})
        await store.retireSigningKeys([], audit('key.retire'))
        assert.equal(await store.countAuditEvents({}), before, 'nothing to retire writes nothing')
      }),
    )

    test(
      '11.4 an emergency rotation retires every older key at once, wipes it and revokes the JWTs it signed with their derived tokens',
      withStore(async (store) => {
        await store.insertSigningKey(key('k1', { privateKey: '{"d":"k1"}' }), T0 + HOUR, audit('key.create'))
        await store.insertSigningKey(key('k2', { createdAt: T0 + 1, privateKey: '{"d":"k2"}' }), T0 + 2 * HOUR, audit('key.rotate'))
        await store.insertToken(token('j1', { kind: 'JWT', secretHash: null, kid: 'k1', expiresAt: T0 + 2 * HOUR }), audit('token.issue'))
        await store.insertToken(token('j1-child', { parentId: 'j1', expiresAt: T0 + HOUR }), audit('token.derive'))
        await store.insertToken(token('j2', { kind: 'JWT', secretHash: null, kid: 'k2', expiresAt: T0 + 2 * HOUR }), audit('token.issue'))
        await store.insertToken(token('opaque', { expiresAt: T0 + 2 * HOUR }), audit('token.issue'))
        const revoked = await store.insertSigningKey(key('k3', { createdAt: T0 + 2 }), T0, audit('key.rotate'), { at: T0 + 3, reason: 'emergency' })
        assert.deepEqual([...revoked].sort(), ['j1', 'j1-child', 'j2'])
        assert.deepEqual(
          (await store.listSigningKeys()).map((k) => [k.kid, k.status, k.privateKey]),
          [
            ['k1', 'RETIRED', ''],
            ['k2', 'RETIRED', ''],
            ['k3', 'ACTIVE', '{}'],
          ],
        )
        assert.equal((await store.getToken('opaque'))?.revokedAt, null, 'an opaque token is not signed by any key')
        const [event] = (await store.listAuditEvents({ action: 'key.rotate', limit: 10 })).rows.slice(-1)
        assert.deepEqual(event?.details, { retired: ['k1', 'k2'], revoked })
      }),
    )

    test(
      '11.5 a plaintext key into a sealed database is refused inside the transaction; retiring wipes private keys',
      withStore(async (store) => {
        await store.insertSigningKey(key('k1', { privateKey: '{"d":"plain"}' }), T0, audit('key.create'))
        await store.sealSigningKeys([{ kid: 'k1', privateKey: 'sealed.k1' }], audit('key.seal'))
        assert.equal((await store.listSigningKeys())[0]?.privateKey, 'sealed.k1')
        const events = await store.countAuditEvents({})
        await store.sealSigningKeys([{ kid: 'k1', privateKey: 'other' }], audit('key.seal'))
        assert.equal((await store.listSigningKeys())[0]?.privateKey, 'sealed.k1', 'a sealed key is never overwritten')
        assert.equal(await store.countAuditEvents({}), events, 'sealing nothing writes no event')
        await assert.rejects(store.insertSigningKey(key('k2', { createdAt: T0 + 1, privateKey: '{"d":"plain"}' }), T0 + HOUR, audit('key.rotate')), KeyWriteRefused)
        assert.deepEqual(
          (await store.listSigningKeys()).map((k) => [k.kid, k.status]),
          [['k1', 'ACTIVE']],
          'nothing changed',
        )
        assert.equal(await store.countAuditEvents({}), events, 'no event')
        await store.insertSigningKey(key('k2', { createdAt: T0 + 1, privateKey: 'sealed.k2' }), T0 + HOUR, audit('key.rotate'))
        await store.retireSigningKeys(['k1'], audit('key.retire'))
        assert.deepEqual(
          (await store.listSigningKeys()).map((k) => [k.kid, k.status, k.privateKey]),
          [
            ['k1', 'RETIRED', ''],
            ['k2', 'ACTIVE', 'sealed.k2'],
          ],
        )
      }),
    )

    test(
      'stores client secrets and revokes each once',
      withStore(async (store) => {
        await store.insertApp(app('x'), audit('app.create'))
        await store.insertClientSecret(
          { id: 's2', appId: 'x', secretHash: 'h2', createdAt: T0 + 1, revokedAt: null, scopes: null, createdBy: null, lastUsedAt: null },
          audit('secret.create'),
        )
        await store.insertClientSecret(
          { id: 's1', appId: 'x', secretHash: 'h1', createdAt: T0, revokedAt: null, scopes: null, createdBy: null, lastUsedAt: null },
          audit('secret.create'),
        )
        assert.deepEqual(await store.getClientSecret('s1'), {
          id: 's1',
          appId: 'x',
          secretHash: 'h1',
          createdAt: T0,
          revokedAt: null,
          scopes: null,
          createdBy: null,
          lastUsedAt: null,
        })
        assert.equal(await store.getClientSecret('nope'), null)
        assert.deepEqual(
          (await store.listClientSecrets('x')).map((s) => s.id),
          ['s1', 's2'],
        )
        assert.deepEqual(await store.listClientSecrets('root'), [])
        assert.equal(await store.revokeClientSecret('s1', T0 + 5, audit('secret.revoke')), true)
        const before = await store.countAuditEvents({})
        assert.equal(await store.revokeClientSecret('s1', T0 + 6, audit('secret.revoke')), false)
        assert.equal(await store.revokeClientSecret('nope', T0 + 6, audit('secret.revoke')), false)
        assert.equal(await store.countAuditEvents({}), before)
        assert.equal((await store.getClientSecret('s1'))?.revokedAt, T0 + 5)
        await assert.rejects(
          store.insertClientSecret(
            { id: 's3', appId: 'no-app', secretHash: 'h', createdAt: T0, revokedAt: null, scopes: null, createdBy: null, lastUsedAt: null },
            audit('secret.create'),
          ),
          'the app must exist',
        )
      }),
    )

    test(
      'tells subscribers of committed changes that caches must hear of',
      withStore(async (store) => {
        const heard: StoreChange[] = []
        // The order of ids within one change is unspecified.
        store.subscribe((change) => heard.push(change.kind === 'token' ? { kind: 'token', ids: [...change.ids].sort() } : change))
        await store.insertToken(token('p'), audit('token.issue'))
        await store.insertToken(token('c', { parentId: 'p', scopes: ['a:read', 'a:write'] }), audit('token.derive'))
        await store.insertScope(scope('b:read'), audit('scope.create'))
        await store.updateApp('root', { name: 'renamed' }, audit('app.update'))
        await store.insertSigningKey(key('k1'), T0, audit('key.create'))
        await store.narrowTokenScopes('c', ['a:read'], audit('token.trim'))
        await store.rotateToken('p', token('p2'), { expiresAt: T0 }, audit('token.rotate'))
        await store.revokeTokenCascade('p2', T0, null, audit('token.revoke'))
        assert.deepEqual(heard, [
          { kind: 'scopes' },
          { kind: 'app', id: 'root' },
          { kind: 'keys' },
          { kind: 'token', ids: ['c'] },
          { kind: 'token', ids: ['p'] },
          { kind: 'token', ids: ['c', 'p2'] },
        ])
        const quiet = heard.length
        await store.revokeTokenCascade('p2', T0, null, audit('token.revoke'))
        assert.equal(heard.length, quiet, 'a revocation that changed nothing is not announced')
      }),
    )

    test(
      '18.3 updates an app field by field: a change to one field leaves the others as they are',
      withStore(async (store) => {
        await store.insertApp(app('x', { allowedScopes: ['a:read', 'a:write'] }), audit('app.create'))
        await store.updateApp('x', { disabledAt: T0 + 1 }, audit('app.disable'))
        await store.updateApp('x', { allowedScopes: ['a:read'] }, audit('app.update'))
        await store.updateApp('x', { name: 'renamed' }, audit('app.update'))
        assert.deepEqual(await store.getApp('x'), app('x', { name: 'renamed', disabledAt: T0 + 1, allowedScopes: ['a:read'] }))
      }),
    )

    test(
      '18.1 a write guard reads its rows inside the transaction, and a refusing guard writes nothing',
      withStore(async (store) => {
        await store.insertApp(app('x'), audit('app.create'))
        await store.insertClientSecret(
          { id: 'cs', appId: 'x', secretHash: 'h', createdAt: T0, revokedAt: null, scopes: null, createdBy: null, lastUsedAt: null },
          audit('secret.create'),
        )
        await store.insertSigningKey(key('k1'), T0, audit('key.create'))
        let seen: GuardRows | undefined
        const reading = {
          tokens: ['root-token', 'nope'],
          apps: ['x'],
          clientSecrets: ['cs'],
          signingKeys: ['k1'],
          meta: ['initialized_at'],
          check: (rows: GuardRows) => void (seen = rows),
        }
        assert.equal(await store.insertToken(token('t1'), audit('token.issue'), undefined, reading), true)
        assert.deepEqual([...(seen?.tokens.keys() ?? [])], ['root-token'])
        assert.equal(seen?.apps.get('x')?.name, 'x')
        assert.equal(seen?.clientSecrets.get('cs')?.secretHash, 'h')
        assert.equal(seen?.signingKeys.get('k1')?.status, 'ACTIVE')
        assert.equal(seen?.meta.has('initialized_at'), true)
        const events = await store.countAuditEvents({})
        const refuse = {
          tokens: ['t1'],
          check: () => {
            throw new Error('refused')
          },
        }
        const attempts: [string, () => Promise<unknown>][] = [
          ['insertToken', () => store.insertToken(token('t2'), audit('token.issue'), undefined, refuse)],
          ['insertScope', () => store.insertScope(scope('c:read'), audit('scope.create'), refuse)],
          ['insertApp', () => store.insertApp(app('y'), audit('app.create'), refuse)],
          ['updateApp', () => store.updateApp('x', { name: 'changed' }, audit('app.update'), refuse)],
          ['revokeTokenCascade', () => store.revokeTokenCascade('t1', T0, null, audit('token.revoke'), refuse)],
          ['revokeTokensCascade', () => store.revokeTokensCascade(['t1'], T0, null, audit('token.revoke'), refuse)],
          ['rotateToken', () => store.rotateToken('t1', token('t3'), { revokedAt: T0, revokeReason: 'rotated' }, audit('token.rotate'), refuse)],
          ['narrowTokenScopes', () => store.narrowTokenScopes('t1', [], audit('token.trim'), undefined, refuse)],
          ['insertSigningKey', () => store.insertSigningKey(key('k2'), T0, audit('key.rotate'), undefined, refuse)],
          [
            'insertClientSecret',
            () =>
              store.insertClientSecret(
                { id: 'cs2', appId: 'x', secretHash: 'h', createdAt: T0, revokedAt: null, scopes: null, createdBy: null, lastUsedAt: null },
                audit('secret.create'),
                refuse,
              ),
          ],
          ['revokeClientSecret', () => store.revokeClientSecret('cs', T0, audit('secret.revoke'), refuse)],
        ]
        for (const [method, attempt] of attempts) await assert.rejects(attempt(), /refused/, method)
        assert.equal(await store.countAuditEvents({}), events, 'no audit event')
        assert.equal(await store.getToken('t2'), null)
        assert.equal(await store.getToken('t3'), null)
        assert.deepEqual(await store.getToken('t1'), token('t1'))
        assert.equal(await store.getApp('y'), null)
        assert.equal((await store.getApp('x'))?.name, 'x')
        assert.equal((await store.getClientSecret('cs'))?.revokedAt, null)
        assert.equal(await store.getClientSecret('cs2'), null)
        assert.deepEqual(
          (await store.listSigningKeys()).map((k) => k.kid),
          ['k1'],
        )
        assert.equal(await store.getMeta(rotatedKey('t1')), null)
        assert.deepEqual(
          (await store.listScopes()).map((s) => s.name),
          ['a:read', 'a:write'],
        )
      }),
    )

    test(
      'rolls back a change whose audit event cannot be written',
      withStore(async (store) => {
        const [init] = (await store.listAuditEvents({ limit: 1 })).rows
        await assert.rejects(store.insertToken(token('dup-audit'), audit('token.issue', { id: init?.id as string })))
        assert.equal(await store.getToken('dup-audit'), null, 'the token was not kept without its audit event')
        assert.equal((await verifyAuditChain(store)).ok, true)
      }),
    )

    test(
      '11.8 NUL and unpaired UTF-16 surrogates are refused as BAD_USER_INPUT before any SQL, reads and writes alike, and nothing is written',
      withStore(async (store) => {
        const badInput = (error: unknown) => (error as { code?: string }).code === 'BAD_USER_INPUT'
        const events = await store.countAuditEvents({})
        for (const bad of ['a\u0000b', '\ud800', 'x\udc00y', 'tail\ud83d']) {
          await assert.rejects(store.getToken(bad), badInput, `getToken(${JSON.stringify(bad)})`)
          await assert.rejects(store.getApp(bad), badInput)
          await assert.rejects(store.listTokens({ subject: bad, now: T0 }, { limit: 10 }), badInput)
          await assert.rejects(store.countAuditEvents({ actor: bad }), badInput)
          await assert.rejects(store.insertApp(app('bad-app', { name: bad }), audit('app.create')), badInput)
          await assert.rejects(store.insertToken(token('bad-token', { name: bad }), audit('token.issue')), badInput)
          await assert.rejects(store.revokeTokenCascade('root-token', T0, bad, audit('token.revoke')), badInput)
          await assert.rejects(store.insertApp(app('bad-audit'), audit('app.create', { details: { reason: bad } })), badInput)
        }
        assert.equal(await store.getApp('bad-app'), null)
        assert.equal(await store.getApp('bad-audit'), null)
        assert.equal(await store.getToken('bad-token'), null)
        assert.equal((await store.getToken('root-token'))?.revokedAt, null)
        assert.equal(await store.countAuditEvents({}), events, 'no audit event was written')
        // A well-formed surrogate pair is ordinary text and round-trips on every store.
        await store.insertApp(app('emoji', { name: 'app \ud83d\ude00' }), audit('app.create'))
        assert.equal((await store.getApp('emoji'))?.name, 'app \ud83d\ude00')
      }),
    )
  })
}
