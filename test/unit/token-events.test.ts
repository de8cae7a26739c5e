// The token events of an audit event, and who may receive each (src/domain/token-events.ts).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Principal } from '../../src/domain/context.js'
import type { AuditEventRecord, TokenRecord } from '../../src/domain/model.js'
import { mayReceiveTokenEvent, tokenEventsOf, tokenIdsOf } from '../../src/domain/token-events.js'

const event = (action: string, details: Record<string, unknown>, target: string | null = null, appId: string | null = 'app_a'): AuditEventRecord => ({
  id: 'ev1',
  at: 1_767_225_600_000,
  actor: 'tok_admin',
  appId,
  action,
  target,
  requestId: null,
  ip: null,
  details,
  seq: 7,
  hash: 'f'.repeat(64),
})
const token = (id: string, appId: string, subject: string | null = null) => ({ id, appId, subject }) as TokenRecord
const principal = (appId: string, isRoot: boolean, subject: string | null = null) => ({ app: { id: appId, isRoot }, token: { id: 'me', appId, subject } }) as unknown as Principal

describe('tokenEventsOf', () => {
  test('a trim is one TOKEN_TRIMMED per token whose scopes changed, with the scopes kept', () => {
    const e = event(
      'token.trim',
      {
        removedScopes: ['tokens:write'],
        keptScopes: ['tokens:read'],
        changed: [
          { id: 't1', scopes: ['tokens:read'] },
          { id: 't2', scopes: [] },
        ],
      },
      't1',
    )
    assert.deepEqual(tokenIdsOf(e), ['t1', 't2'])
    const events = tokenEventsOf(e, new Map([['t2', token('t2', 'app_a', 'alice')]]))
    assert.deepEqual(
      events.map((x) => [x.type, x.id, x.data.tokenId, x.data.scopes, x.data.subject, x.data.seq]),
      [
        ['token.trimmed', 'ev1:t1', 't1', ['tokens:read'], null, 7],
        ['token.trimmed', 'ev1:t2', 't2', [], 'alice', 7],
      ],
    )
  })

  test('a bulk revocation names no revoking token, and each token keeps its own app', () => {
    const e = event('token.revoke_bulk', { revoked: ['t1', 't2'], reason: 'cleanup', filter: {} }, null, null)
    const events = tokenEventsOf(
      e,
      new Map([
        ['t1', token('t1', 'app_a')],
        ['t2', token('t2', 'app_b')],
      ]),
    )
    assert.deepEqual(
      events.map((x) => [x.type, x.data.tokenId, x.data.appId, x.data.revokedWith, x.data.reason]),
      [
        ['token.revoked', 't1', 'app_a', null, 'cleanup'],
        ['token.revoked', 't2', 'app_b', null, 'cleanup'],
      ],
    )
  })

  test('actions that are not lifecycle events give none; malformed details give none rather than throwing', () => {
    for (const action of ['scope.create', 'app.create', 'app.update', 'client_secret.create', 'key.retire', 'key.seal'])
      assert.deepEqual(tokenEventsOf(event(action, {}, 'x'), new Map()), [], action)
    assert.deepEqual(tokenEventsOf(event('token.revoke', { revoked: 'not a list' }, 't1'), new Map()), [])
    assert.deepEqual(tokenEventsOf(event('token.trim', { changed: [{ nope: 1 }, null] }, 't1'), new Map()), [])
  })
})

describe('mayReceiveTokenEvent', () => {
  const [ofA] = tokenEventsOf(event('token.issue', {}, 't1'), new Map([['t1', token('t1', 'app_a', 'alice')]]))
  const [disabledB] = tokenEventsOf(event('app.disable', {}, 'app_b', 'app_b'), new Map())
  const [keyRotated] = tokenEventsOf(event('key.rotate', { alg: 'ES256' }, null, null), new Map())

  test('an app token receives its app’s events only; a subject token only its subject’s tokens', () => {
    assert.equal(mayReceiveTokenEvent(principal('app_a', false), ofA!), true)
    assert.equal(mayReceiveTokenEvent(principal('app_a', false, 'alice'), ofA!), true)
    assert.equal(mayReceiveTokenEvent(principal('app_a', false, 'bob'), ofA!), false)
    assert.equal(mayReceiveTokenEvent(principal('app_b', false), ofA!), false)
    assert.equal(mayReceiveTokenEvent(principal('app_b', false), disabledB!), true)
    assert.equal(mayReceiveTokenEvent(principal('app_a', false), disabledB!), false)
  })

  test('key events reach root-app tokens acting for no subject only', () => {
    assert.equal(mayReceiveTokenEvent(principal('root', true), keyRotated!), true)
    assert.equal(mayReceiveTokenEvent(principal('root', true, 'alice'), keyRotated!), false)
    assert.equal(mayReceiveTokenEvent(principal('app_a', false), keyRotated!), false)
    assert.equal(mayReceiveTokenEvent(principal('root', true), ofA!), true)
  })
})
