// The caller of a domain function is one of a closed set of kinds: each is labelled in the audit log
// by one function, and each permission rule decides for every kind (the operator may do anything, a
// client secret nothing but its grant, a token what its boundary allows).
import assert from 'node:assert/strict'
import { hostname, userInfo } from 'node:os'
import { describe, test } from 'node:test'
import { actorLabel, clientSecretOfActor, operatorActor, type Actor } from '../../src/domain/actor.js'
import type { Principal } from '../../src/domain/context.js'
import { actsAcrossApps, actorSubject, assertInstanceAdmin, createdByOf, mayAdministerApp, maySeeApp, maySeeToken } from '../../src/domain/permissions.js'
import type { AppRecord, TokenRecord } from '../../src/domain/model.js'
import { appRecord, tokenRecord } from '../fixtures/records.js'

const app = (id: string, isRoot = false): AppRecord => appRecord(id, { allowedScopes: ['tokens:read'], isRoot })
const token = (id: string, appId: string, subject: string | null = null): TokenRecord => tokenRecord(id, { appId, subject, scopes: ['tokens:read'], secretHash: null })
const principal = (t: TokenRecord, a: AppRecord): Principal => ({ token: t, app: a, scopes: new Set(t.scopes), held: t.scopes })

/** One actor of every kind: the Record type fails to compile when a kind is added and not listed here. */
const EVERY_KIND: Record<Actor['kind'], Actor> = {
  operator: { kind: 'operator', name: 'alice@build-1' },
  token: { kind: 'token', principal: principal(token('tok0000000000001', 'app_a'), app('app_a')) },
  client: { kind: 'client', secretId: 'cs_0123456789abcdef', appId: 'app_a' },
}

describe('actor labels', () => {
  test('every kind of actor is labelled, each differently', () => {
    const labels = Object.values(EVERY_KIND).map(actorLabel)
    for (const label of labels) assert.ok(typeof label === 'string' && label.length > 0)
    assert.equal(new Set(labels).size, labels.length)
  })

  test('a token is named by its id, so audit filters by token id keep working', () => {
    assert.equal(actorLabel(EVERY_KIND.token), 'tok0000000000001')
  })

  test('a client secret is named client_secret:<id>, and only that label names a client secret', () => {
    assert.equal(actorLabel(EVERY_KIND.client), 'client_secret:cs_0123456789abcdef')
    assert.equal(clientSecretOfActor(actorLabel(EVERY_KIND.client)), 'cs_0123456789abcdef')
    assert.equal(clientSecretOfActor(actorLabel(EVERY_KIND.token)), null)
    assert.equal(clientSecretOfActor(actorLabel(EVERY_KIND.operator)), null)
  })

  test('an operator is named operator:<name>', () => {
    assert.equal(actorLabel(EVERY_KIND.operator), 'operator:alice@build-1')
  })

  test('the operator of this process is its OS user at its host', () => {
    assert.deepEqual(operatorActor(), { kind: 'operator', name: `${userInfo().username}@${hostname()}` })
  })
})

describe('permission rules decide for every kind', () => {
  const rootApp = app('root', true)
  const appA = app('app_a')
  const appB = app('app_b')
  const rootToken: Actor = { kind: 'token', principal: principal(token('root000000000001', 'root'), rootApp) }
  const subjectToken: Actor = { kind: 'token', principal: principal(token('subj000000000001', 'app_a', 'user-1'), appA) }
  const otherApps = token('tokb000000000001', 'app_b')

  test('the operator sees and administers every app and token, and acts across apps', () => {
    const { operator } = EVERY_KIND
    assert.equal(maySeeToken(operator, otherApps), true)
    assert.equal(maySeeApp(operator, appB), true)
    assert.equal(mayAdministerApp(operator, appB), true)
    assert.equal(actsAcrossApps(operator), true)
    assert.doesNotThrow(() => assertInstanceAdmin(operator, 'refused', 'create apps'))
    assert.equal(createdByOf(operator), null)
    assert.equal(actorSubject(operator), null)
  })

  test('a client secret sees, administers and declares nothing outside its grant', () => {
    const { client } = EVERY_KIND
    assert.equal(maySeeToken(client, token('toka000000000002', 'app_a')), false, "not even its own app's tokens")
    assert.equal(maySeeApp(client, appA), false)
    assert.equal(mayAdministerApp(client, appA), false)
    assert.equal(actsAcrossApps(client), false)
    assert.throws(() => assertInstanceAdmin(client, 'only tokens of the root app can create apps'), { code: 'FORBIDDEN', message: 'only tokens of the root app can create apps' })
    assert.equal(createdByOf(client), 'client_secret:cs_0123456789abcdef')
  })

  test('a token stays inside its app; a root-app token acts across apps', () => {
    const { token: appToken } = EVERY_KIND
    assert.equal(maySeeToken(appToken, otherApps), false)
    assert.equal(maySeeApp(appToken, appB), false)
    assert.equal(maySeeToken(rootToken, otherApps), true)
    assert.equal(actsAcrossApps(rootToken), true)
    assert.throws(() => assertInstanceAdmin(appToken, 'only tokens of the root app can declare scopes'), { code: 'FORBIDDEN' })
    assert.doesNotThrow(() => assertInstanceAdmin(rootToken, 'refused', 'declare scopes'))
    assert.equal(createdByOf(appToken), 'tok0000000000001')
  })

  test('a token acting for a subject administers no app and changes nothing instance-wide', () => {
    assert.equal(mayAdministerApp(subjectToken, appA), false)
    assert.equal(actorSubject(subjectToken), 'user-1')
    const rootSubject: Actor = { kind: 'token', principal: principal(token('rsub000000000001', 'root', 'user-2'), rootApp) }
    assert.throws(() => assertInstanceAdmin(rootSubject, 'refused', 'rotate the signing key'), {
      code: 'FORBIDDEN',
      message: 'a token acting for a subject cannot rotate the signing key',
    })
  })
})
