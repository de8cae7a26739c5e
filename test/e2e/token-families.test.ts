// Token families and lifetimes (issue 11.6, 11.11): a token issued by a derived or exchanged token
// lives no longer than its issuer and dies with its family; rotation passes the lifetime policy.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createApp, dataOf, DERIVE, issue, ISSUE, REVOKE, ROTATE, runSql, startServer, type TestServer } from './harness.js'
import { expectRefused } from './refusal.js'

const MINUTE = 60_000
const TOKEN = 'query($id: ID!) { token(id: $id) { id status expiresAt revokedAt scopes } }'
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token'

describe('token families', () => {
  let server: TestServer
  let app: { id: string }

  before(async () => {
    server = await startServer()
    app = await createApp(server, { name: 'family', allowedScopes: ['tokens:write', 'apps:read'] })
  })
  after(() => server.stop())

  const works = async (secret: string) => (await server.gql('{ viewer { id } }', { token: secret })).status === 200
  const row = async (id: string) => dataOf(await server.gql(TOKEN, { variables: { id } })).token
  async function derive(parentSecret: string, input: Record<string, unknown> = {}): Promise<{ secret: string; id: string; token: any }> {
    const data = dataOf(await server.gql(DERIVE, { token: parentSecret, variables: { input: { name: 'child', scopes: ['tokens:write'], ...input } } }))
    return { secret: data.deriveToken.secret, id: data.deriveToken.token.id, token: data.deriveToken.token }
  }

  test('11.6 a token issued by a derived token cannot be noExpiry nor outlive its issuer', async () => {
    const parent = await issue(server, { appId: app.id, scopes: ['tokens:write'], noExpiry: true })
    const child = await derive(parent.secret, { expiresIn: 'PT5M' })
    const noExpiry = await expectRefused(
      server,
      () => server.gql(ISSUE, { token: child.secret, variables: { input: { name: 'escape', scopes: ['tokens:read'], noExpiry: true } } }),
      'BAD_USER_INPUT',
    )
    assert.equal(noExpiry.error.extensions?.field, 'noExpiry')
    const longer = await expectRefused(
      server,
      () => server.gql(ISSUE, { token: child.secret, variables: { input: { name: 'escape', scopes: ['tokens:read'], expiresIn: 'P1D' } } }),
      'BAD_USER_INPUT',
    )
    assert.equal(longer.error.extensions?.field, 'expiresIn')
    // The default lifetime shrinks to the issuer's.
    const issued = await issue(server, { name: 'bound', scopes: ['tokens:read'] }, child.secret)
    assert.equal(issued.token.expiresAt, child.token.expiresAt)
    assert.equal(await works(issued.secret), true)
    server.advance(6 * MINUTE)
    try {
      assert.equal(await works(child.secret), false)
      assert.equal(await works(issued.secret), false, 'the issued token died with its issuer')
      assert.equal((await row(issued.id)).status, 'EXPIRED')
    } finally {
      server.advance(-6 * MINUTE)
    }
  })

  test('11.6 revoking a family revokes the tokens its members issued, transitively', async () => {
    const root = await issue(server, { appId: app.id, scopes: ['tokens:write'], noExpiry: true })
    const child = await derive(root.secret)
    const issued = await issue(server, { name: 'bound', scopes: ['tokens:write'] }, child.secret)
    const issuedByIssued = await issue(server, { name: 'bound-2', scopes: ['tokens:read'] }, issued.secret)
    const derivedFromIssued = await derive(issued.secret, { scopes: ['tokens:read'] })
    const bystander = await issue(server, { name: 'free', scopes: ['tokens:read'] }, root.secret)
    for (const t of [child, issued, issuedByIssued, derivedFromIssued, bystander]) assert.equal(await works(t.secret), true)

    const revoked = dataOf(await server.gql(REVOKE, { variables: { id: root.id, reason: 'compromised' } })).revokeToken
    assert.equal(revoked.status, 'REVOKED')
    for (const t of [child, issued, issuedByIssued, derivedFromIssued]) {
      assert.equal(await works(t.secret), false, `${t.id} still works`)
      assert.equal((await row(t.id)).status, 'REVOKED')
    }
    // A token the root token issued itself is not in a family: it was never bound.
    assert.equal(await works(bystander.secret), true)
  })

  test('11.6 a token issued by an exchanged token is revoked with the subject token', async () => {
    const subject = await issue(server, { appId: app.id, scopes: ['tokens:write'], noExpiry: true })
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: EXCHANGE, subject_token: subject.secret, subject_token_type: ACCESS_TOKEN, scope: 'tokens:write' }).toString(),
    })
    const exchanged = (await res.json()) as { access_token: string; expires_in: number }
    assert.equal(res.status, 200, JSON.stringify(exchanged))
    await expectRefused(
      server,
      () => server.gql(ISSUE, { token: exchanged.access_token, variables: { input: { name: 'escape', scopes: ['tokens:read'], noExpiry: true } } }),
      'BAD_USER_INPUT',
    )
    const issued = await issue(server, { name: 'from-jwt', scopes: ['tokens:read'] }, exchanged.access_token)
    assert.ok(Date.parse(issued.token.expiresAt) <= Date.now() + exchanged.expires_in * 1000 + MINUTE, 'no longer than the exchanged token')
    dataOf(await server.gql(REVOKE, { variables: { id: subject.id } }))
    assert.equal(await works(issued.secret), false)
    assert.equal((await row(issued.id)).status, 'REVOKED')
  })

  test('11.6 revokeTokens(createdBy) revokes what a token issued, with their families, and nothing else', async () => {
    const root = await issue(server, { appId: app.id, scopes: ['tokens:write'], noExpiry: true })
    const child = await derive(root.secret)
    const a = await issue(server, { name: 'a', scopes: ['tokens:write'] }, child.secret)
    const b = await issue(server, { name: 'b', scopes: ['tokens:read'] }, child.secret)
    const grandchild = await issue(server, { name: 'a-issued', scopes: ['tokens:read'] }, a.secret)
    const elsewhere = await issue(server, { name: 'root-issued', scopes: ['tokens:read'] }, root.secret)
    const query = (dry: boolean) => `mutation { revokeTokens(filter: {createdBy: "${child.id}"}, reason: "child leaked", dryRun: ${dry}) { matched { id } revokedIds } }`
    const dry = dataOf(await server.gql(query(true))).revokeTokens
    assert.deepEqual(new Set(dry.matched.map((t: any) => t.id)), new Set([a.id, b.id]))
    assert.deepEqual(dry.revokedIds, [])
    assert.equal(await works(a.secret), true)
    const done = dataOf(await server.gql(query(false))).revokeTokens
    assert.deepEqual(new Set(done.revokedIds), new Set([a.id, b.id, grandchild.id]))
    for (const t of [a, b, grandchild]) assert.equal(await works(t.secret), false)
    for (const t of [root, child, elsewhere]) assert.equal(await works(t.secret), true)
  })

  test('11.6 a derived token rotating a free-standing token gets a successor bound to it', async () => {
    const root = await issue(server, { appId: app.id, scopes: ['tokens:write'], noExpiry: true })
    const free = await issue(server, { appId: app.id, name: 'free', scopes: ['tokens:read'], noExpiry: true })
    const child = await derive(root.secret, { expiresIn: 'PT5M' })
    const successor = dataOf(await server.gql(ROTATE, { token: child.secret, variables: { id: free.id } })).rotateToken
    assert.equal(successor.token.expiresAt, child.token.expiresAt, 'no longer than the rotating child')
    dataOf(await server.gql(REVOKE, { variables: { id: root.id } }))
    assert.equal(await works(successor.secret), false)
    assert.equal((await row(successor.token.id)).status, 'REVOKED')
  })

  test("11.6 a bound token whose issuer is dead reads EXPIRED and is refused, even if the issuer's end was not cascaded", async () => {
    const root = await issue(server, { appId: app.id, scopes: ['tokens:write'], noExpiry: true })
    const child = await derive(root.secret)
    const issued = await issue(server, { name: 'bound', scopes: ['tokens:read'] }, child.secret)
    // An issuer that ended outside Scopeward's own writes (as a lowered policy ends one): only its row changes.
    await runSql(server.dbPath, `UPDATE tokens SET expires_at = 1 WHERE id = '${child.id}'`)
    assert.equal((await row(issued.id)).status, 'EXPIRED')
    assert.equal(await works(issued.secret), false)
  })

  test("11.6 a token issued by a rotated derived token stays in the successor's family", async () => {
    const root = await issue(server, { appId: app.id, scopes: ['tokens:write'], noExpiry: true })
    const child = await derive(root.secret)
    const issued = await issue(server, { name: 'bound', scopes: ['tokens:read'] }, child.secret)
    const successor = dataOf(await server.gql(ROTATE, { variables: { id: child.id } })).rotateToken
    assert.equal(await works(issued.secret), true, 'rotation keeps what the token issued')
    dataOf(await server.gql(REVOKE, { variables: { id: successor.token.id } }))
    assert.equal(await works(issued.secret), false)
  })

  test("revoking a rotation's successor ends the old secret's grace at once, down a chain of rotations too", async () => {
    const rotate = async (id: string) => dataOf(await server.gql(ROTATE, { variables: { id, grace: 'PT1H' } })).rotateToken as { secret: string; token: { id: string } }
    const introspected = async (secret: string) => {
      const res = await fetch(`${server.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${server.rootToken}` },
        body: new URLSearchParams({ token: secret }),
      })
      return ((await res.json()) as { active: boolean }).active
    }
    const first = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const second = await rotate(first.id)
    const third = await rotate(second.token.id)
    for (const secret of [first.secret, second.secret, third.secret]) assert.ok(await works(secret), 'every secret works during the grace')
    dataOf(await server.gql(REVOKE, { variables: { id: third.token.id, reason: 'leaked' } }))
    for (const secret of [first.secret, second.secret, third.secret]) {
      assert.equal(await works(secret), false, 'no secret of the chain outlives the revoked successor')
      assert.equal(await introspected(secret), false)
    }
    // And they read as what they are: revoked, not ACTIVE until their grace ends.
    for (const id of [first.id, second.token.id, third.token.id]) {
      assert.equal((dataOf(await server.gql(TOKEN, { variables: { id } })).token as { status: string }).status, 'REVOKED', id)
    }

    // An unrelated rotation's old secret keeps its grace: only a revoked successor ends it.
    const other = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const otherNext = await rotate(other.id)
    assert.ok(await works(other.secret))
    assert.ok(await works(otherNext.secret))
    assert.equal((dataOf(await server.gql(TOKEN, { variables: { id: other.id } })).token as { status: string }).status, 'ACTIVE')

    // The list filters, their counts and the lifetime reports say what the status says, token by token.
    const chain = [first.id, second.token.id, third.token.id]
    const mine = new Set([...chain, other.id, otherNext.token.id])
    const listed = async (status: string) => {
      const page = dataOf(await server.gql(`{ tokens(appId: "${app.id}", status: ${status}, first: 100) { totalCount edges { node { id status } } } }`)).tokens
      assert.equal(page.totalCount, page.edges.length, `the ${status} count agrees with its list`)
      for (const { node } of page.edges) if (mine.has(node.id)) assert.equal(node.status, status, `${node.id} listed under ${status} reads ${node.status}`)
      return page.edges.map((e: { node: { id: string } }) => e.node.id) as string[]
    }
    const active = await listed('ACTIVE')
    for (const id of chain) assert.ok(!active.includes(id), `${id} is not listed as ACTIVE`)
    assert.ok(active.includes(other.id) && active.includes(otherNext.token.id), 'a grace whose successor lives is ACTIVE')
    const revoked = await listed('REVOKED')
    for (const id of chain) assert.ok(revoked.includes(id), `${id} is listed as REVOKED`)
    assert.ok(!revoked.includes(other.id))
    await listed('EXPIRED')
    const expiring = dataOf(await server.gql('{ expiringTokens(within: "PT2H", first: 100) { totalCount edges { node { id } } } }')).expiringTokens
    const soon = expiring.edges.map((e: { node: { id: string } }) => e.node.id)
    assert.ok(!soon.includes(first.id) && !soon.includes(second.token.id), 'a dead grace is not reported as expiring')
    assert.ok(soon.includes(other.id), 'a live grace is')
    assert.equal(expiring.totalCount, soon.length)
  })

  test('a token derived or issued with a rotated-out secret during its grace dies when the successor is revoked', async () => {
    // A derived token (a token it issues is bound to it), rotated with a grace: the old secret lives on for an hour.
    const parent = await issue(server, { appId: app.id, scopes: ['tokens:write'] })
    const old = await derive(parent.secret)
    const successor = dataOf(await server.gql(ROTATE, { variables: { id: old.id, grace: 'PT1H' } })).rotateToken as { secret: string; token: { id: string } }
    // Whoever holds the old secret (a leak is the usual reason to rotate) derives a child and issues a token with it.
    const child = await derive(old.secret)
    const grandchild = await derive(child.secret)
    const issued = dataOf(await server.gql(ISSUE, { token: old.secret, variables: { input: { appId: app.id, name: 'made in grace', scopes: ['tokens:write'] } } })).issueToken as {
      secret: string
      token: { id: string }
    }
    const made = [
      ['the old secret', old.secret, old.id],
      ['the child derived with it', child.secret, child.id],
      ['that child’s child', grandchild.secret, grandchild.id],
      ['the token issued with it (bound to it)', issued.secret, issued.token.id],
    ] as const
    for (const [name, secret] of made) assert.ok(await works(secret), `${name} works during the grace`)
    dataOf(await server.gql(REVOKE, { variables: { id: successor.token.id, reason: 'leaked' } }))
    for (const [name, secret, id] of made) {
      assert.equal(await works(secret), false, `${name} is refused`)
      assert.equal((await row(id)).status, 'REVOKED', `${name} reads REVOKED`)
      // Nor can it make another token to live on in: refused, and nothing written.
      await expectRefused(server, () => server.gql(DERIVE, { token: secret, variables: { input: { name: 'escape', scopes: ['tokens:write'] } } }), 'UNAUTHENTICATED')
    }
    assert.ok(await works(parent.secret), 'the parent of the rotated token is not touched')
  })
})

describe('rotation under the lifetime policy', () => {
  let server: TestServer

  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  const setPolicy = async (appId: string, max: string) => dataOf(await server.gql(`mutation { updateApp(id: "${appId}", input: {maxTokenLifetime: "${max}"}) { id } }`))
  const row = async (id: string) => dataOf(await server.gql(TOKEN, { variables: { id } })).token

  test('11.11 rotation does not revive a token dead under the lifetime policy, which reads EXPIRED', async () => {
    const app = await createApp(server, { name: 'policy-dead', allowedScopes: ['tokens:read'] })
    const t = await issue(server, { appId: app.id, scopes: ['tokens:read'], expiresIn: 'P30D' })
    server.advance(2 * 3600_000)
    try {
      await setPolicy(app.id, 'PT1H')
      assert.equal((await row(t.id)).status, 'EXPIRED')
      const listed = dataOf(await server.gql(`{ tokens(appId: "${app.id}") { edges { node { id status } } } }`)).tokens.edges.map((e: any) => e.node)
      assert.deepEqual(listed, [{ id: t.id, status: 'EXPIRED' }])
      const ids = async (status: string) => dataOf(await server.gql(`{ tokens(appId: "${app.id}", status: ${status}) { totalCount edges { node { id } } } }`)).tokens
      assert.deepEqual(await ids('ACTIVE'), { totalCount: 0, edges: [] }, 'the ACTIVE filter agrees with the status')
      assert.deepEqual(await ids('EXPIRED'), { totalCount: 1, edges: [{ node: { id: t.id } }] })
      const { error } = await expectRefused(server, () => server.gql(ROTATE, { variables: { id: t.id } }), 'BAD_USER_INPUT')
      assert.equal(error.extensions?.field, 'id')
      assert.equal((await server.gql('{ viewer { id } }', { token: t.secret })).status, 401)
    } finally {
      server.advance(-2 * 3600_000)
    }
  })

  test('11.11 rotation does not copy noExpiry, nor a longer lifetime, under a policy', async () => {
    const app = await createApp(server, { name: 'policy-later', allowedScopes: ['tokens:read'] })
    const forever = await issue(server, { appId: app.id, scopes: ['tokens:read'], noExpiry: true })
    const long = await issue(server, { appId: app.id, scopes: ['tokens:read'], expiresIn: 'P30D' })
    await setPolicy(app.id, 'PT1H')
    for (const t of [forever, long]) {
      const before = Date.now()
      const successor = dataOf(await server.gql(ROTATE, { variables: { id: t.id } })).rotateToken
      const expiresAt = Date.parse(successor.token.expiresAt)
      assert.ok(expiresAt >= before + 3600_000 - 1000 && expiresAt <= Date.now() + 3600_000, `successor expires ${successor.token.expiresAt}: within the policy`)
    }
  })

  test('11.11 rotation refuses a token of a disabled app', async () => {
    const app = await createApp(server, { name: 'disabled', allowedScopes: ['tokens:read'] })
    const t = await issue(server, { appId: app.id, scopes: ['tokens:read'] })
    dataOf(await server.gql(`mutation { disableApp(id: "${app.id}") { id } }`))
    await expectRefused(server, () => server.gql(ROTATE, { variables: { id: t.id } }), 'BAD_USER_INPUT')
  })
})
