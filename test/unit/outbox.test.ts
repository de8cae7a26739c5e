// The outbox's parts without a database: the notice each kind of write derives (one test each), the
// delivery rules (order, isolation of a failing subscriber), and the write protocol's promise that a
// write that rolls back publishes and announces nothing.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AuditEventInput, AuditEventRecord, GuardRows, StoreChange, WriteGuard } from '../../src/domain/model.js'
import type { CommittedEvent } from '../../src/domain/ports.js'
import { noticesOf, Outbox } from '../../src/store/outbox.js'
import { noticePayload } from '../../src/store/pg-change-listener.js'
import { WriteProtocol, type WriteDialect } from '../../src/store/write-protocol.js'

const event = (seq: number, action = 'test'): AuditEventRecord => ({
  id: `ev${seq}`,
  at: 1,
  actor: null,
  appId: null,
  action,
  target: null,
  requestId: null,
  ip: null,
  details: {},
  seq,
  hash: `h${seq}`,
})

describe('notice derivation (noticesOf)', () => {
  test('writes no cache holds announce nothing: initialise, a new app, token or client secret, a revoked client secret', () => {
    for (const write of ['initialize', 'insertApp', 'insertClientSecret', 'revokeClientSecret', 'webhook'] as const) assert.deepEqual(noticesOf({ write }), [], write)
    assert.deepEqual(noticesOf({ write: 'insertToken', tokenId: 't1' }), [])
  })

  test('a new scope refreshes the scope catalogue', () => {
    assert.deepEqual(noticesOf({ write: 'insertScope' }), [{ kind: 'scopes' }])
  })

  test('an app update names the app', () => {
    assert.deepEqual(noticesOf({ write: 'updateApp', appId: 'app1' }), [{ kind: 'app', id: 'app1' }])
  })

  test('a rotation names the old token (its end, its children and its bound tokens moved)', () => {
    assert.deepEqual(noticesOf({ write: 'rotateToken', oldId: 'old', successorId: 'new' }), [{ kind: 'token', ids: ['old'] }])
  })

  test('a revocation names every token revoked now, and announces nothing when none was', () => {
    assert.deepEqual(noticesOf({ write: 'revokeTokens', revoked: ['a', 'b'] }), [{ kind: 'token', ids: ['a', 'b'] }])
    assert.deepEqual(noticesOf({ write: 'revokeTokens', revoked: [] }), [])
  })

  test('a narrowing names the tokens whose scopes changed, and announces nothing when none did', () => {
    assert.deepEqual(noticesOf({ write: 'narrowTokenScopes', changed: ['p', 'c'], scopes: [] }), [{ kind: 'token', ids: ['p', 'c'] }])
    assert.deepEqual(noticesOf({ write: 'narrowTokenScopes', changed: [], scopes: [] }), [])
  })

  test('a new signing key changes the keys; an emergency rotation that revoked tokens drops every cache', () => {
    assert.deepEqual(noticesOf({ write: 'insertSigningKey', revoked: [], kid: 'k1' }), [{ kind: 'keys' }])
    assert.deepEqual(noticesOf({ write: 'insertSigningKey', revoked: ['jwt1'], kid: 'k1' }), [{ kind: 'all' }])
  })

  test('retiring and sealing keys change the keys', () => {
    assert.deepEqual(noticesOf({ write: 'retireSigningKeys' }), [{ kind: 'keys' }])
    assert.deepEqual(noticesOf({ write: 'sealSigningKeys' }), [{ kind: 'keys' }])
  })
})

describe('outbox delivery', () => {
  test('delivers each event with its notices to subscribers, and the notices to listeners, in publish order', () => {
    const outbox = new Outbox()
    const log: string[] = []
    outbox.listen((change) => log.push(`listener ${change.kind}`))
    outbox.subscribe(({ event: e, notices }) => void log.push(`subscriber ${e.seq} ${notices.length}`))
    outbox.publish(event(1), [{ kind: 'keys' }])
    outbox.publish(event(2), [])
    assert.deepEqual(log, ['listener keys', 'subscriber 1 1', 'subscriber 2 0'])
  })

  test("notices heard from elsewhere reach listeners but no subscriber (they are not this instance's commits)", () => {
    const outbox = new Outbox()
    const events: CommittedEvent[] = []
    const heard: StoreChange[] = []
    outbox.subscribe((c) => void events.push(c))
    outbox.listen((change) => heard.push(change))
    outbox.heard({ kind: 'all' })
    assert.deepEqual(events, [])
    assert.deepEqual(heard, [{ kind: 'all' }])
  })

  test('a subscriber or listener that throws reaches the error handler; the others still receive, and publish does not throw', () => {
    const errors: unknown[] = []
    const outbox = new Outbox({ onError: (error) => errors.push(error) })
    const got: number[] = []
    outbox.listen(() => {
      throw new Error('listener broke')
    })
    outbox.subscribe(() => {
      throw new Error('subscriber broke')
    })
    outbox.subscribe(({ event: e }) => void got.push(e.seq))
    assert.doesNotThrow(() => outbox.publish(event(7), [{ kind: 'scopes' }]))
    assert.deepEqual(got, [7])
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ['listener broke', 'subscriber broke'],
    )
  })

  test('an async subscriber that rejects reaches the error handler', async () => {
    let reported: ((error: unknown) => void) | undefined
    const failure = new Promise<unknown>((resolve) => (reported = resolve))
    const outbox = new Outbox({ onError: (error) => reported?.(error) })
    outbox.subscribe(() => Promise.reject(new Error('webhook down')))
    outbox.publish(event(1), [])
    assert.equal(((await failure) as Error).message, 'webhook down')
  })
})

describe('PostgreSQL notice payload', () => {
  test("carries the derived notices and this instance's origin; too large a payload becomes one notice to drop every cache", () => {
    assert.deepEqual(JSON.parse(noticePayload('me', [{ kind: 'token', ids: ['a'] }, { kind: 'keys' }])), {
      origin: 'me',
      changes: [{ kind: 'token', ids: ['a'] }, { kind: 'keys' }],
    })
    const many = Array.from({ length: 1000 }, (_, i) => `token-${i}`)
    assert.deepEqual(JSON.parse(noticePayload('me', [{ kind: 'token', ids: many }])), { origin: 'me', changes: [{ kind: 'all' }] })
  })
})

/** A dialect over an in-memory log, synchronous like SQLite's; `commitFails` makes the commit throw after the body ran. */
function fakeDialect(options: { commitFails?: boolean } = {}) {
  const log: string[] = []
  const dialect: WriteDialect<string[]> = {
    async transaction(body) {
      const tx: string[] = []
      const value = await body(tx)
      if (options.commitFails) throw new Error('commit failed')
      log.push(...tx)
      return value
    },
    guardRows: (): GuardRows => ({ tokens: new Map(), apps: new Map(), clientSecrets: new Map(), signingKeys: new Map(), meta: new Map() }),
    lastAuditHash: () => null,
    insertAuditEvent: (tx, e) => (tx.push(`audit ${e.action}`), 1),
    putMeta: (tx, k) => void tx.push(`meta ${k}`),
    insertWebhookEvents: (tx, events) => void tx.push(`webhook ${events.map((e) => `${e.type} ${e.subject}`).join()}`),
    announce: (tx, notices) => void tx.push(`announce ${notices.map((n) => n.kind).join()}`),
  }
  return { dialect, log }
}

const input = (action: string): AuditEventInput => ({ id: action, at: 1, actor: null, appId: null, action, target: null, requestId: null, ip: null, details: {} })

describe('write protocol', () => {
  test('guard, write, audit event, head, webhook events, announcement: in that order inside the transaction; published after it', async () => {
    const { dialect, log } = fakeDialect()
    const outbox = new Outbox()
    const published: string[] = []
    outbox.subscribe(({ event: e }) => void published.push(`${e.action} after ${log.length} committed steps`))
    const guard: WriteGuard = { tokens: ['t'], check: () => void log.push('checked') }
    const value = await new WriteProtocol(dialect, outbox, null).run({
      guard,
      run: (tx) => (tx.push('sql'), { value: 42, audit: { event: input('token.revoke'), effect: { write: 'revokeTokens', revoked: ['t'] } } }),
    })
    assert.equal(value, 42)
    assert.deepEqual(log, ['checked', 'sql', 'audit token.revoke', 'meta audit_head', 'webhook token.revoked t', 'announce token'])
    assert.deepEqual(published, ['token.revoke after 6 committed steps'])
  })

  test('a write whose commit fails publishes nothing', async () => {
    const { dialect } = fakeDialect({ commitFails: true })
    const outbox = new Outbox()
    const got: unknown[] = []
    outbox.subscribe((c) => void got.push(c))
    outbox.listen((c) => void got.push(c))
    await assert.rejects(
      new WriteProtocol(dialect, outbox, null).run({ run: () => ({ value: 1, audit: { event: input('scope.create'), effect: { write: 'insertScope' } } }) }),
      /commit failed/,
    )
    assert.deepEqual(got, [])
  })

  test('a refused guard runs no SQL, appends no event and announces nothing', async () => {
    const { dialect, log } = fakeDialect()
    const guard: WriteGuard = {
      check: () => {
        throw new Error('stale')
      },
    }
    await assert.rejects(new WriteProtocol(dialect, new Outbox(), null).run({ guard, run: (tx) => (tx.push('sql'), { value: 1, audit: null }) }), /stale/)
    assert.deepEqual(log, [])
  })

  test('a write that changed nothing appends no event and announces nothing; one with no notice appends its event but announces nothing', async () => {
    const { dialect, log } = fakeDialect()
    const protocol = new WriteProtocol(dialect, new Outbox(), null)
    await protocol.run({ run: () => ({ value: false, audit: null }) })
    await protocol.run({ run: () => ({ value: true, audit: { event: input('token.issue'), effect: { write: 'insertToken', tokenId: 't1' } } }) })
    assert.deepEqual(log, ['audit token.issue', 'meta audit_head', 'webhook token.issued t1'])
  })

  test('with an audit key, the head carries its tag', async () => {
    const { dialect, log } = fakeDialect()
    await new WriteProtocol(dialect, new Outbox(), new Uint8Array(32)).run({ run: () => ({ value: 1, audit: { event: input('app.create'), effect: { write: 'insertApp' } } }) })
    assert.deepEqual(log, ['audit app.create', 'meta audit_head', 'meta audit_head_tag'])
  })
})
