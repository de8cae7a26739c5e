// Every audit event names its actor: the command line its OS user and host, the server's own upkeep
// the operator who started it, a client_credentials grant its client secret. A client secret acts
// through its grant only: every other domain function refuses it. The domain is built once, frozen.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { composeCommandDomain } from '../../src/compose.js'
import { loadConfig } from '../../src/config.js'
import { createApp } from '../../src/domain/apps.js'
import { operatorActor, operatorCall, type Call, type ClientActor } from '../../src/domain/actor.js'
import { createClientSecret } from '../../src/domain/client-secrets.js'
import type { Domain } from '../../src/domain/context.js'
import { createScope } from '../../src/domain/create-scope.js'
import { enableApp } from '../../src/domain/enable-app.js'
import { initialize } from '../../src/domain/initialize.js'
import { issueToken } from '../../src/domain/issue-token.js'
import { listAuditEvents, listTokens } from '../../src/domain/queries.js'
import { revokeToken } from '../../src/domain/revoke-token.js'
import { rotateSigningKey } from '../../src/domain/signing-keys.js'
import type { AuditEventRecord } from '../../src/domain/model.js'
import { clientCredentialsJwt, createClient, startServer as startOAuthServer } from '../oauth/harness.js'
import { startServer } from './harness.js'
import { runCli } from './run-cli.js'

const OPERATOR = `operator:${userInfo().username}@${hostname()}`

async function auditOf(domain: Domain): Promise<AuditEventRecord[]> {
  return (await listAuditEvents(domain, operatorActor(), { first: 100 })).rows
}

describe('every audit event names its actor', () => {
  test('an audit event from the command line names the OS user and host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scopeward-actors-'))
    const db = join(dir, 'cli.db')
    try {
      const init = await runCli({}, 'init', '--db', db, '--json')
      assert.equal(init.code, 0, init.stderr)
      const issued = await runCli({}, 'token', 'issue', '--db', db, '--name', 'actor-test', '--scope', 'tokens:read', '--json')
      assert.equal(issued.code, 0, issued.stderr)
      const tokenId = (JSON.parse(issued.stdout) as { token: { id: string } }).token.id
      const domain = (await composeCommandDomain(loadConfig({ db }, {}))).domain
      try {
        const events = await auditOf(domain)
        const issue = events.find((e) => e.action === 'token.issue')
        assert.deepEqual([issue?.actor, issue?.target], [OPERATOR, tokenId])
        assert.equal(events.find((e) => e.action === 'instance.init')?.actor, OPERATOR)
        assert.deepEqual(
          events.filter((e) => e.actor === null),
          [],
          'no event without an actor',
        )
      } finally {
        await domain.store.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test("the server's own upkeep (initialising, the first signing key) names the operator who started it", async () => {
    const server = await startServer()
    try {
      const events = (await server.app.store.listAuditEvents({ limit: 100 })).rows
      assert.equal(events.find((e) => e.action === 'instance.init')?.actor, OPERATOR)
      assert.equal(events.find((e) => e.action === 'key.create')?.actor, OPERATOR)
      assert.deepEqual(
        events.filter((e) => e.actor === null),
        [],
        'no event without an actor',
      )
    } finally {
      await server.stop()
      await server.discard()
    }
  })

  test('an audit event from a client_credentials grant names the client secret', async () => {
    const server = await startOAuthServer()
    try {
      const client = await createClient(server, 'actor-client', ['tokens:read'])
      const jwt = await clientCredentialsJwt(server, client, 'tokens:read')
      const jti = JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()).jti as string
      const events = (await server.app.store.listAuditEvents({ target: jti, limit: 10 })).rows
      assert.deepEqual(
        events.map((e) => [e.action, e.actor]),
        [['token.client_credentials', `client_secret:${client.secretId}`]],
      )
      assert.equal((await server.app.store.getToken(jti))?.createdBy, `client_secret:${client.secretId}`)
    } finally {
      await server.close()
    }
  })
})

describe('a client secret acts through its grant only', () => {
  let dir: string
  let domain: Domain
  let appId: string
  let rootTokenId: string
  let client: Call<ClientActor>

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scopeward-actors-'))
    domain = (await composeCommandDomain(loadConfig({ db: join(dir, 'domain.db') }, {}), { create: true })).domain
    rootTokenId = (await initialize(domain, operatorCall())).token.id
    appId = (await createApp(domain, operatorCall(), { name: 'client app', allowedScopes: ['tokens:read', 'tokens:write'] })).id
    const secret = await createClientSecret(domain, operatorCall(), appId)
    client = { actor: { kind: 'client', secretId: secret.record.id, appId }, request: { requestId: 'attack', ip: '203.0.113.9' } }
  })
  after(async () => {
    await domain.store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const refusals: [string, () => Promise<unknown>, string][] = [
    ['createApp', () => createApp(domain, client, { name: 'x', allowedScopes: [] }), 'FORBIDDEN'],
    ['createScope', () => createScope(domain, client, { name: 'x:read', description: 'x' }), 'FORBIDDEN'],
    ['rotateSigningKey', () => rotateSigningKey(domain, client, null), 'FORBIDDEN'],
    ['enableApp (its own app)', () => enableApp(domain, client, appId), 'NOT_FOUND'],
    ['issueToken (its own app)', () => issueToken(domain, client, { appId, name: 'x', scopes: ['tokens:read'] }), 'NOT_FOUND'],
    ['createClientSecret (its own app)', () => createClientSecret(domain, client, appId), 'NOT_FOUND'],
    ['revokeToken (the root token)', () => revokeToken(domain, client, rootTokenId), 'NOT_FOUND'],
  ]
  for (const [name, attempt, code] of refusals) {
    test(`${name} refuses a client secret (${code}) and writes nothing`, async () => {
      const before = (await auditOf(domain)).length
      await assert.rejects(attempt(), { code })
      assert.equal((await auditOf(domain)).length, before)
    })
  }

  test('a client secret lists no token and no audit event', async () => {
    assert.deepEqual((await listTokens(domain, client.actor, { appId })).rows, [])
    assert.deepEqual((await listAuditEvents(domain, client.actor, {})).rows, [])
  })

  test('the operator may do what the client may not, and is named in the audit log', async () => {
    const issued = await issueToken(domain, operatorCall(), { appId, name: 'by operator', scopes: ['tokens:read'] })
    const event = (await auditOf(domain)).find((e) => e.target === issued.token.id)
    assert.deepEqual([event?.action, event?.actor, event?.requestId], ['token.issue', OPERATOR, null])
  })

  test('the domain is frozen: no dependency is swapped after composition', () => {
    assert.ok(Object.isFrozen(domain))
    assert.throws(() => Object.assign(domain, { usage: null }), TypeError)
  })

  test('a command domain refuses JWTs and key operations with a clear error', async () => {
    await assert.rejects(issueToken(domain, operatorCall(), { appId, name: 'jwt', scopes: ['tokens:read'], kind: 'JWT' }), {
      code: 'BAD_USER_INPUT',
      message: 'kind: JWT access tokens are not available on this server',
    })
    await assert.rejects(rotateSigningKey(domain, operatorCall(), null), { code: 'BAD_USER_INPUT', message: 'signing keys are not available on this server' })
  })
})
