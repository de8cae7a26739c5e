// The outbox contract (docs/outbox.md), part of the Store conformance suite (conformance.ts runs it
// on every store): each committed write reaches subscribers once, after its commit, in commit order,
// with the notices every store derives alike; a write that rolls back publishes nothing.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AppRecord, AuditEventInput, ClientSecretRecord, ScopeRecord, SigningKeyRecord, StoreChange, TokenRecord } from '../../src/domain/model.js'
import type { CommittedEvent, Store } from '../../src/domain/ports.js'
import { EmptiedTokensError } from '../../src/errors.js'
import { KeyWriteRefused } from '../../src/store/store.js'
import { appRecord, auditInput, tokenRecord } from '../fixtures/records.js'

/** A fresh store, plus (PostgreSQL) a second instance on the same database. */
export type MakePeer = () => (Store & { listening?(): Promise<void> }) | Promise<Store & { listening?(): Promise<void> }>
export type MakeOutboxStore = () => OutboxStoreHarness | Promise<OutboxStoreHarness>
type OutboxStoreHarness = { store: Store; peer?: MakePeer; cleanup: () => Promise<void> }

const T0 = 1_700_000_000_000
const HOUR = 3_600_000

const scope = (name: string): ScopeRecord => ({ name, description: name, implies: [], builtIn: false, createdAt: T0 })
const app = (id: string): AppRecord => appRecord(id, { allowedScopes: ['a:read'], createdAt: T0 })
const token = (id: string, over: Partial<TokenRecord> = {}): TokenRecord => tokenRecord(id, { scopes: ['a:read'], createdAt: T0, expiresAt: T0 + 24 * HOUR, ...over })
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
const secret = (id: string): ClientSecretRecord => ({ id, appId: 'x', secretHash: 'h', createdAt: T0, revokedAt: null, scopes: null, createdBy: null, lastUsedAt: null })
const audit = (action: string, over: Partial<AuditEventInput> = {}): AuditEventInput => auditInput(action, { at: T0, ...over })

/** Notices in a comparable form (the order of ids within one notice is unspecified). */
const sorted = (change: StoreChange): StoreChange => (change.kind === 'token' ? { kind: 'token', ids: [...change.ids].sort() } : change)

/** Records what a store publishes: committed events (outbox) and notices (Store.subscribe). */
function record(store: Store): { events: CommittedEvent[]; heard: StoreChange[] } {
  const seen = { events: [] as CommittedEvent[], heard: [] as StoreChange[] }
  store.outbox.subscribe((committed) => void seen.events.push(committed))
  store.subscribe((change) => void seen.heard.push(sorted(change)))
  return seen
}

/** One write of every kind, in order, with what its event must announce (the same on every store). */
async function everyWrite(store: Store): Promise<[string, StoreChange[]][]> {
  await store.insertApp(app('x'), audit('app.create'))
  await store.updateApp('x', { name: 'renamed' }, audit('app.update'))
  await store.insertScope(scope('b:read'), audit('scope.create'))
  await store.insertScope(scope('b:read'), audit('scope.create.duplicate')) // refused: no event
  await store.insertToken(token('p'), audit('token.issue'))
  await store.insertToken(token('c', { parentId: 'p', scopes: ['a:read', 'a:write'] }), audit('token.derive'), T0)
  await store.insertToken(token('orphan', { parentId: 'gone' }), audit('token.derive.refused'), T0) // refused: no event
  await store.narrowTokenScopes('c', ['a:read'], audit('token.trim'))
  await store.narrowTokenScopes('c', ['a:read'], audit('token.trim.noop')) // an event, nothing to announce
  await store.rotateToken('p', token('p2'), { expiresAt: T0 + HOUR }, audit('token.rotate'))
  await store.revokeTokenCascade('p2', T0 + 1, null, audit('token.revoke'))
  await store.revokeTokensCascade(['p2'], T0 + 2, null, audit('token.revoke.noop')) // an event, nothing revoked now
  await store.insertClientSecret(secret('s1'), audit('client_secret.create'))
  await store.revokeClientSecret('s1', T0, audit('client_secret.revoke'))
  await store.revokeClientSecret('s1', T0, audit('client_secret.revoke.again')) // refused: no event
  await store.insertSigningKey(key('k1', { privateKey: '{"d":"k1"}' }), T0 + HOUR, audit('key.create'))
  await store.insertSigningKey(key('k2', { createdAt: T0 + 1, privateKey: '{"d":"k2"}' }), T0 + HOUR, audit('key.rotate'))
  await store.retireSigningKeys(['k1'], audit('key.retire'))
  await store.sealSigningKeys([{ kid: 'k2', privateKey: 'sealed.k2' }], audit('key.seal'))
  await store.sealSigningKeys([{ kid: 'k2', privateKey: 'other' }], audit('key.seal.noop')) // nothing sealed: no event
  await store.insertToken(token('jwt', { kind: 'JWT', secretHash: null, kid: 'k2' }), audit('token.issue.jwt'))
  await store.insertSigningKey(key('k3', { createdAt: T0 + 2, privateKey: 'sealed.k3' }), T0, audit('key.rotate.emergency'), { at: T0 + 3, reason: 'leak' })
  return [
    ['app.create', []],
    ['app.update', [{ kind: 'app', id: 'x' }]],
    ['scope.create', [{ kind: 'scopes' }]],
    ['token.issue', []],
    ['token.derive', []],
    ['token.trim', [{ kind: 'token', ids: ['c'] }]],
    ['token.trim.noop', []],
    ['token.rotate', [{ kind: 'token', ids: ['p'] }]],
    ['token.revoke', [{ kind: 'token', ids: ['c', 'p2'] }]],
    ['token.revoke.noop', []],
    ['client_secret.create', []],
    ['client_secret.revoke', []],
    ['key.create', [{ kind: 'keys' }]],
    ['key.rotate', [{ kind: 'keys' }]],
    ['key.retire', [{ kind: 'keys' }]],
    ['key.seal', [{ kind: 'keys' }]],
    ['token.issue.jwt', []],
    ['key.rotate.emergency', [{ kind: 'all' }]],
  ]
}

/** Resolves once `seen` holds `n` notices (no fixed sleep: the test's own timeout bounds the wait). */
function heardAtLeast(seen: { heard: StoreChange[] }, n: number, store: Store): Promise<void> {
  return new Promise((resolve) => {
    if (seen.heard.length >= n) return resolve()
    store.subscribe(() => void (seen.heard.length >= n && resolve()))
  })
}

export function defineOutboxConformance(seeded: (store: Store) => Promise<void>, makeStore: MakeOutboxStore): void {
  const withStore = (body: (store: Store, peer: MakePeer | undefined) => Promise<void>) => async () => {
    const { store, peer, cleanup } = await makeStore()
    try {
      await seeded(store)
      await body(store, peer)
    } finally {
      await cleanup()
    }
  }

  test(
    'outbox: every committed write reaches subscribers once, in commit order, with the notices derived alike on every store',
    withStore(async (store) => {
      const seen = record(store)
      const before = (await store.listAuditEvents({ limit: 1000 })).rows.length
      const expected = await everyWrite(store)
      assert.deepEqual(
        seen.events.map((c) => [c.event.action, c.notices.map(sorted)]),
        expected,
        'per write: its event and exactly its notices',
      )
      assert.deepEqual(
        seen.heard,
        expected.flatMap(([, notices]) => notices),
        'listeners hear the same notices, in the same order',
      )
      // What subscribers got is what was committed: the stored events, seq and hash included, in seq order.
      const stored = (await store.listAuditEvents({ limit: 1000 })).rows.slice(before)
      assert.deepEqual(
        seen.events.map((c) => c.event),
        stored,
      )
    }),
  )

  test(
    'outbox: a write that rolls back publishes nothing',
    withStore(async (store) => {
      await store.insertToken(token('t'), audit('token.issue'))
      await store.insertToken(token('child', { parentId: 't', scopes: ['a:read'] }), audit('token.derive'))
      const [init] = (await store.listAuditEvents({ limit: 1 })).rows
      const seen = record(store)
      const refuse = {
        tokens: ['t'],
        check: () => {
          throw new Error('refused')
        },
      }
      // The revocation's SQL runs, then its audit event collides with an existing id: the whole write rolls back.
      await assert.rejects(store.revokeTokenCascade('t', T0, null, audit('token.revoke', { id: init?.id as string })))
      await assert.rejects(store.revokeTokenCascade('t', T0, null, audit('token.revoke'), refuse), /refused/)
      await assert.rejects(store.narrowTokenScopes('t', [], audit('token.trim')), EmptiedTokensError)
      await assert.rejects(store.updateApp('root', { name: 'x' }, audit('app.update'), refuse), /refused/)
      await store.insertSigningKey(key('k1', { privateKey: 'sealed.k1' }), T0, audit('key.create'))
      seen.events.length = 0
      seen.heard.length = 0
      await assert.rejects(store.insertSigningKey(key('k2', { createdAt: T0 + 1 }), T0, audit('key.rotate')), KeyWriteRefused)
      assert.deepEqual(seen.events, [], 'no event reached a subscriber')
      assert.deepEqual(seen.heard, [], 'no notice reached a listener')
      assert.equal((await store.getToken('t'))?.revokedAt, null, 'and nothing was written')
    }),
  )

  test(
    'outbox: of writes committed together, one that fails is not published and the others are, each once',
    withStore(async (store) => {
      const seen = record(store)
      const [init] = (await store.listAuditEvents({ limit: 1 })).rows
      const writes = [
        store.insertToken(token('g1'), audit('token.issue')),
        store.revokeTokenCascade('root-token', T0, null, audit('token.revoke', { id: init?.id as string })),
        store.updateApp('root', { name: 'renamed' }, audit('app.update')),
        store.insertToken(token('g2'), audit('token.issue')),
      ]
      const settled = await Promise.allSettled(writes)
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      )
      assert.deepEqual(seen.events.map((c) => c.event.action).sort(), ['app.update', 'token.issue', 'token.issue'])
      assert.deepEqual(seen.heard, [{ kind: 'app', id: 'root' }], 'the failed revocation announced nothing')
      const seqs = seen.events.map((c) => c.event.seq)
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        'in commit order',
      )
    }),
  )

  test(
    'outbox: another instance hears the notices the writing instance derived',
    withStore(async (store, peer) => {
      if (!peer) return // one instance per database (SQLite): nothing crosses
      const other = await peer()
      const theirs = { heard: [] as StoreChange[] }
      other.subscribe((change) => void theirs.heard.push(sorted(change)))
      await other.listening?.()
      const ours = record(store)
      await everyWrite(store)
      await heardAtLeast(theirs, ours.heard.length, other)
      assert.deepEqual(theirs.heard, ours.heard)
    }),
  )
}
