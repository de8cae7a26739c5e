// Issue 18: every write re-checks what it relies on inside its transaction. Each test races real
// requests (bounded rounds of concurrent requests) and asserts an invariant on what committed, read
// in commit order from the audit log (each event commits with its change, under the write lock).
// On SQLite one server takes every request; with SCOPEWARD_TEST_DB=postgres two instances share
// one database and the requests alternate between them.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { AuditEventRecord } from '../../src/domain/model.js'
import { createApp, dataOf, DERIVE, issue, REVOKE, ROTATE, startServer, type GraphQLResult, type TestServer } from './harness.js'

const ROUNDS = 5
const CONCURRENT = 16
const postgres = process.env.SCOPEWARD_TEST_DB === 'postgres'
/** Identical on both instances; the token endpoint's throttle is another suite's subject. */
const env = { SCOPEWARD_ISSUER: 'https://auth.example.test', SCOPEWARD_MASTER_KEY: randomBytes(32).toString('base64url'), SCOPEWARD_TOKEN_REQUESTS_PER_MINUTE: '1000000' }

let a: TestServer
let b: TestServer
/** The server for the i-th concurrent request: the two instances in turn (one server on SQLite). */
const on = (i: number): TestServer => (i % 2 === 0 ? a : b)

before(async () => {
  a = await startServer({ env })
  b = postgres ? await startServer({ dbPath: a.dbPath, rootToken: a.rootToken, env }) : a
})
after(async () => {
  if (b !== a) await b?.stop()
  await a?.stop()
})

/** The audit log in commit order. */
async function auditLog(): Promise<AuditEventRecord[]> {
  return (await a.app.store.listAuditEvents({ limit: 100_000 })).rows
}

/** Where the first event matching `match` committed (-1: none). */
const indexOf = (log: AuditEventRecord[], match: (e: AuditEventRecord) => boolean): number => log.findIndex(match)

/** Answers that are neither a success nor a documented refusal: a 500, a masked error. */
function assertNoServerError(results: GraphQLResult[]): void {
  for (const r of results) {
    assert.ok(r.status < 500, `HTTP ${r.status}: ${JSON.stringify(r.body)}`)
    for (const e of r.body.errors ?? []) assert.notEqual(e.extensions?.code, 'INTERNAL_SERVER_ERROR', JSON.stringify(e))
  }
}

/** Sends `count` requests made by `each`, with `extra` sent from the middle of them, all at once; answers in that order. */
function race(count: number, each: (i: number) => Promise<GraphQLResult>, ...extra: (() => Promise<GraphQLResult>)[]): Promise<GraphQLResult[]> {
  return raceAt(Math.floor(count / 2), count, each, ...extra)
}

/** `race` with `extra` sent after the first `at` requests. */
function raceAt(at: number, count: number, each: (i: number) => Promise<GraphQLResult>, ...extra: (() => Promise<GraphQLResult>)[]): Promise<GraphQLResult[]> {
  const sends: (() => Promise<GraphQLResult>)[] = Array.from({ length: count }, (_, i) => () => each(i))
  sends.splice(at, 0, ...extra)
  return Promise.all(sends.map((send) => send()))
}

const ok = (r: GraphQLResult): boolean => r.status === 200 && !r.body.errors?.length
const ISSUE_BY = 'mutation($input: IssueTokenInput!) { issueToken(input: $input) { token { id } } }'
const UPDATE_APP = 'mutation($id: ID!, $input: UpdateAppInput!) { updateApp(id: $id, input: $input) { id } }'
const TRIM = 'mutation($id: ID!) { trimToken(id: $id) { keptScopes token { scopes } } }'

describe('issue 18: writes re-check their caller and preconditions inside their transaction', () => {
  test('18.1 a token revoked while its requests run issues nothing after the revocation commits', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const caller = await issue(a, { scopes: ['tokens:read', 'tokens:write'] })
      const results = await race(
        CONCURRENT,
        (i) => on(i).gql(ISSUE_BY, { token: caller.secret, variables: { input: { name: `r${round}-${i}`, scopes: ['tokens:read'] } } }),
        () => on(1).gql(REVOKE, { variables: { id: caller.id, reason: 'race' } }),
      )
      assertNoServerError(results)
      const log = await auditLog()
      const revokedAt = indexOf(log, (e) => e.action === 'token.revoke' && e.target === caller.id)
      assert.ok(revokedAt >= 0, 'the revocation committed')
      const late = log.slice(revokedAt).filter((e) => e.actor === caller.id)
      assert.deepEqual(
        late.map((e) => e.action),
        [],
        `round ${round}: the revoked token wrote after its revocation committed`,
      )
      // Every refusal names the reason: the caller was revoked (401 before the body, or UNAUTHENTICATED at commit).
      for (const r of results.filter((r) => !ok(r))) assert.ok(r.status === 401 || r.body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', JSON.stringify(r.body))
    }
  })

  test('18.2 concurrent rotations of a token: exactly one wins, none after its revocation', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const old = await issue(a, { scopes: ['tokens:read'] })
      const results = await race(
        CONCURRENT,
        (i) => on(i).gql(ROTATE, { variables: { id: old.id, grace: i % 3 === 0 ? 'PT1H' : null } }),
        () => on(0).gql(REVOKE, { variables: { id: old.id, reason: 'compromised' } }),
      )
      assertNoServerError(results)
      const log = await auditLog()
      const rotations = log.filter((e) => e.action === 'token.rotate' && e.target === old.id)
      assert.ok(rotations.length <= 1, `round ${round}: ${rotations.length} rotations of one token committed`)
      assert.equal(results.filter((r) => ok(r) && r.body.data.rotateToken).length, rotations.length, 'one acknowledged rotation per committed one')
      const revoked = indexOf(log, (e) => e.action === 'token.revoke' && e.target === old.id)
      const rotated = indexOf(log, (e) => e.action === 'token.rotate' && e.target === old.id)
      if (rotated >= 0 && revoked >= 0) assert.ok(rotated < revoked, `round ${round}: a rotation committed after the revocation`)
      if (rotated < 0) assert.equal((await a.app.store.getToken(old.id))?.revokeReason, 'compromised', 'the revocation reason stands')
    }
  })

  test('18.2 a child rotating itself while its parent is revoked leaves no live successor', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const parent = await issue(a, { scopes: ['tokens:read', 'tokens:write'] })
      const child = dataOf(await a.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read', 'tokens:write'] } } })).deriveToken
      const results = await race(
        CONCURRENT,
        (i) => on(i).gql(ROTATE, { token: child.secret, variables: { id: child.token.id, grace: i % 2 === 0 ? 'PT1H' : null } }),
        () => on(1).gql(REVOKE, { variables: { id: parent.id } }),
      )
      assertNoServerError(results)
      const successors = (await auditLog()).filter((e) => e.action === 'token.rotate' && e.target === child.token.id).map((e) => e.details.successor as string)
      assert.ok(successors.length <= 1, `round ${round}: ${successors.length} successors`)
      for (const id of successors) assert.notEqual((await a.app.store.getToken(id))?.revokedAt, null, `round ${round}: a successor outlived its revoked parent`)
    }
  })

  test('18.3 concurrent changes to an app: every acknowledged change survives (disable, ceiling, lifetime, rename)', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const app = await createApp(a, { name: `app-${round}`, allowedScopes: ['apps:read', 'apps:write', 'tokens:read', 'tokens:write'], maxTokenLifetime: 'P30D' })
      const own = await issue(a, { appId: app.id, scopes: ['apps:write'] })
      const results = await race(
        CONCURRENT,
        (i) => on(i).gql(UPDATE_APP, { token: own.secret, variables: { id: app.id, input: { name: `renamed-${i}`, maxTokenLifetime: 'P20D' } } }),
        () => on(0).gql('mutation($id: ID!) { disableApp(id: $id) { id } }', { variables: { id: app.id } }),
        () => on(1).gql(UPDATE_APP, { variables: { id: app.id, input: { allowedScopes: ['apps:read', 'apps:write', 'tokens:read'] } } }),
        () => on(0).gql(UPDATE_APP, { variables: { id: app.id, input: { maxTokenLifetime: 'P1D' } } }),
      )
      assertNoServerError(results)
      const [disabled, narrowed, shortened] = results.slice(CONCURRENT / 2, CONCURRENT / 2 + 3)
      const now = await a.app.store.getApp(app.id)
      if (ok(disabled as GraphQLResult)) assert.notEqual(now?.disabledAt, null, `round ${round}: an acknowledged disableApp was undone`)
      if (ok(narrowed as GraphQLResult)) assert.deepEqual(now?.allowedScopes, ['apps:read', 'apps:write', 'tokens:read'], `round ${round}: an acknowledged narrowing was undone`)
      if (ok(shortened as GraphQLResult)) assert.equal(now?.maxTokenLifetimeMs, 24 * 3600_000, `round ${round}: an acknowledged lifetime narrowing was undone`)
      const log = await auditLog()
      const disabledAt = indexOf(log, (e) => e.action === 'app.disable' && e.target === app.id)
      if (disabledAt >= 0)
        assert.deepEqual(
          log
            .slice(disabledAt)
            .filter((e) => e.actor === own.id)
            .map((e) => e.action),
          [],
          `round ${round}: the app's token wrote after its app was disabled`,
        )
    }
  })

  test('18.4 a child derived while its parent is trimmed keeps no scope the parent lost', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const parent = await issue(a, { scopes: ['tokens:read', 'tokens:write'] })
      dataOf(await a.gql('{ tokens(first: 1) { totalCount } }', { token: parent.secret })) // it only ever reads
      // Trimmed where it read: usage is aggregated in each instance's memory until flushed.
      // The trim goes first: the derivations authenticate while it reads usage, and write after it.
      const results = await raceAt(
        0,
        CONCURRENT,
        (i) => on(i).gql(DERIVE, { token: parent.secret, variables: { input: { name: `c${i}`, scopes: ['tokens:write'] } } }),
        () => a.gql(TRIM, { variables: { id: parent.id } }),
      )
      assertNoServerError(results)
      const trimmed = (await a.app.store.getToken(parent.id))?.scopes
      assert.deepEqual(trimmed, ['tokens:read'], 'the trim committed')
      const children = await a.app.store.listTokens({ now: Date.now() }, { limit: 10_000 })
      for (const c of children.rows.filter((t) => t.parentId === parent.id))
        assert.deepEqual(
          c.scopes.filter((s) => !trimmed?.includes(s)),
          [],
          `round ${round}: child ${c.id} kept a scope its parent lost`,
        )
    }
  })

  test('18.4 a trim racing a rotation reaches the live successor', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const old = await issue(a, { scopes: ['tokens:read', 'tokens:write'] })
      dataOf(await a.gql('{ tokens(first: 1) { totalCount } }', { token: old.secret }))
      const [rotated, trimmed] = await Promise.all([on(1).gql(ROTATE, { variables: { id: old.id, grace: 'PT1H' } }), a.gql(TRIM, { variables: { id: old.id } })])
      assertNoServerError([rotated, trimmed])
      if (ok(rotated) && ok(trimmed)) {
        const successor = await a.app.store.getToken(rotated.body.data.rotateToken.token.id)
        assert.deepEqual(successor?.scopes, ['tokens:read'], `round ${round}: the trim was lost on the successor`)
      }
      if (!ok(trimmed)) assert.equal(trimmed.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(trimmed.body))
    }
  })

  test('18.5 no client_credentials JWT after its secret is revoked, nor with a scope removed from the ceiling', async () => {
    const form = (appId: string, secret: string, scope: string) =>
      new URLSearchParams({ grant_type: 'client_credentials', scope, client_id: appId, client_secret: secret }).toString()
    const grant = (i: number, appId: string, secret: string, scope: string) =>
      fetch(`${on(i).url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(appId, secret, scope) }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }))
    for (let round = 0; round < ROUNDS; round++) {
      const app = await createApp(a, { name: `svc-${round}`, allowedScopes: ['tokens:read', 'apps:read'] })
      const secret = dataOf(await a.gql('mutation($appId: ID!) { createClientSecret(appId: $appId) { id secret } }', { variables: { appId: app.id } })).createClientSecret
      const grants = Array.from({ length: CONCURRENT }, (_, i) => grant(i, app.id, secret.secret, 'tokens:read apps:read'))
      const root = Promise.all([
        on(1).gql(UPDATE_APP, { variables: { id: app.id, input: { allowedScopes: ['tokens:read'] } } }),
        on(0).gql('mutation($id: ID!) { revokeClientSecret(id: $id) { id } }', { variables: { id: secret.id } }),
      ])
      const [answers, changes] = await Promise.all([Promise.all(grants), root])
      assertNoServerError(changes)
      for (const r of answers) assert.ok(r.status === 200 || r.body.error === 'invalid_client' || r.body.error === 'invalid_scope', JSON.stringify(r))
      const log = await auditLog()
      const minted = (from: number) => log.slice(from).filter((e) => e.action === 'token.client_credentials' && e.appId === app.id)
      const narrowedAt = indexOf(log, (e) => e.action === 'app.update' && e.target === app.id)
      const revokedAt = indexOf(log, (e) => e.action === 'client_secret.revoke' && e.target === secret.id)
      assert.deepEqual(
        minted(narrowedAt).filter((e) => (e.details.scopes as string[]).includes('apps:read')).length,
        0,
        `round ${round}: a JWT signed a scope removed from the ceiling`,
      )
      assert.deepEqual(minted(revokedAt).length, 0, `round ${round}: a JWT was minted after its client secret was revoked`)
    }
  })

  test('18.9 concurrent createScope of one name: one is created, the others are CONFLICT', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `race${round}:read`
      const results = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, i) =>
          on(i).gql('mutation($input: CreateScopeInput!) { createScope(input: $input) { name } }', { variables: { input: { name, description: 'raced' } } }),
        ),
      )
      assertNoServerError(results)
      assert.equal(results.filter(ok).length, 1, `round ${round}: exactly one creation`)
      for (const r of results.filter((r) => !ok(r))) assert.equal(r.body.errors?.[0]?.extensions?.code, 'CONFLICT', JSON.stringify(r.body))
      assert.equal((await auditLog()).filter((e) => e.action === 'scope.create' && e.target === name).length, 1, 'one audit event')
    }
  })
})

/** `scopeward <args>` as a child process, as an operator runs it: its exit code and stderr. */
function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: resolve(import.meta.dirname, '../..'), env: { ...process.env, SCOPEWARD_DB: '' }, timeout: 60_000 },
      (error, _stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr })
      },
    )
  })
}

describe('issue 18: SQLite shared with the command line', { skip: postgres ? 'SQLite only: one file, several processes' : false }, () => {
  test('18.8 the command line writing while the server runs: API writes wait for the lock, never fail', async () => {
    const parent = await issue(a, { scopes: ['tokens:read', 'tokens:write'] })
    // Three operators, each creating apps one after the other, while API writes that read before they write run in waves.
    const operators = Promise.all(
      Array.from({ length: 3 }, async (_, o) => {
        const runs = []
        for (let i = 0; i < ROUNDS; i++) runs.push(await cli('app', 'create', '--db', a.dbPath, '--name', `cli-${o}-${i}`, '--scope', 'tokens:read'))
        return runs
      }),
    )
    let done = false
    void operators.finally(() => (done = true))
    const answers: GraphQLResult[] = []
    while (!done) {
      answers.push(
        ...(await race(CONCURRENT, (i) =>
          i % 2 === 0
            ? a.gql(DERIVE, { token: parent.secret, variables: { input: { name: `d${i}`, scopes: ['tokens:read'] } } })
            : a.gql(ISSUE_BY, { variables: { input: { name: `i${i}`, scopes: ['tokens:read'] } } }),
        )),
      )
    }
    for (const run of (await operators).flat()) assert.equal(run.code, 0, run.stderr)
    assertNoServerError(answers)
    assert.deepEqual(
      answers.filter((r) => !ok(r)).map((r) => r.body),
      [],
      'every API write succeeded',
    )
    const apps = await a.app.store.listApps({ limit: 1000 })
    assert.equal(apps.rows.filter((x) => x.name.startsWith('cli-')).length, 3 * ROUNDS, 'every command-line write committed')
  })
})
