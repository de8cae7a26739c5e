// Token constraints across instances: credits spent exactly when two instances share one
// PostgreSQL database; rate limits shared through Redis (SCOPEWARD_REDIS_URL) by two instances; and
// Redis unreachable: rate limits fail open (default) or closed as SCOPEWARD_RATE_LIMIT_FAIL says,
// never a 5xx, a warning logged. Credits live in the database and are unaffected.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createConnection } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { dataOf, DERIVE, issue, ROTATE, startServer, type TestServer } from '../e2e/harness.js'
import { createTestDatabase, pgUnavailable } from '../store/fresh-pg-database.js'

const VIEWER = '{ viewer { id } }'
const REDIS_URL = process.env.SCOPEWARD_TEST_REDIS ?? 'redis://127.0.0.1:6379'
/** A port nothing listens on: a Redis that is down. */
const CLOSED_REDIS = 'redis://127.0.0.1:1'

const pgMissing = await pgUnavailable()
const redisMissing = await new Promise<string | null>((resolve) => {
  const url = new URL(REDIS_URL)
  const socket = createConnection({ host: url.hostname, port: Number(url.port || 6379) })
  socket.once('connect', () => (socket.destroy(), resolve(null)))
  socket.once('error', (err) => resolve(`no Redis at ${REDIS_URL} (${err.message})`))
})
if (pgMissing) process.stdout.write(`# skipping the PostgreSQL credits test: ${pgMissing}\n`)
if (redisMissing) process.stdout.write(`# skipping the Redis tests: ${redisMissing}\n`)

/** Two instances on one database (the first initialises it), with `env` each. */
async function twoInstances(env: Record<string, string>, dbUrl?: string): Promise<{ a: TestServer; b: TestServer; stop(): Promise<void> }> {
  const a = await startServer({ env, keep: true, ...(dbUrl ? { dbPath: dbUrl } : {}) })
  const b = await startServer({ env, dbPath: a.dbPath, rootToken: a.rootToken, keep: true })
  return {
    a,
    b,
    async stop() {
      await b.stop()
      await a.stop()
      if (!dbUrl) await a.discard()
    },
  }
}

const statusesOf = (servers: TestServer[], secret: string, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => (servers[i % servers.length] as TestServer).gql(VIEWER, { token: secret }).then((r) => r.status)))

describe('credits across two instances on PostgreSQL', { skip: pgMissing ?? false }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let pair: Awaited<ReturnType<typeof twoInstances>>
  before(async () => {
    database = await createTestDatabase()
    pair = await twoInstances({}, database.url)
  })
  after(async () => {
    await pair?.stop()
    await database?.drop()
  })

  test('60 concurrent requests split over both instances against 25 credits succeed exactly 25 times', async () => {
    const { secret } = await issue(pair.a, { scopes: ['tokens:read'], constraints: { credits: { remaining: 25 } } })
    const statuses = await statusesOf([pair.a, pair.b], secret, 60)
    assert.equal(statuses.filter((s) => s === 200).length, 25)
    assert.equal(statuses.filter((s) => s === 429).length, 35)
  })

  test('a rotated token and its successor share one balance across both instances: 60 requests through both secrets against 25 credits succeed exactly 25 times', async () => {
    const old = await issue(pair.a, { scopes: ['tokens:read'], constraints: { credits: { remaining: 25 } } })
    const racing = statusesOf([pair.a, pair.b], old.secret, 20)
    const next = dataOf(await pair.b.gql(ROTATE, { variables: { id: old.id, grace: 'PT1H' } })).rotateToken.secret as string
    const statuses = (await Promise.all([racing, statusesOf([pair.b, pair.a], next, 20), statusesOf([pair.a, pair.b], old.secret, 20)])).flat()
    assert.equal(statuses.filter((s) => s === 200).length, 25)
    assert.equal(statuses.filter((s) => s === 429).length, 35)
  })
})

describe('rate limits shared through Redis', { skip: redisMissing ?? false }, () => {
  let pair: Awaited<ReturnType<typeof twoInstances>>
  before(async () => {
    pair = await twoInstances({ SCOPEWARD_REDIS_URL: REDIS_URL, SCOPEWARD_REDIS_PREFIX: `test-${randomUUID()}:` })
  })
  after(async () => {
    await pair?.stop()
  })

  test('two instances count one limit: 10 requests over both against a limit of 6 succeed 6 times', async () => {
    const { secret } = await issue(pair.a, { scopes: ['tokens:read'], constraints: { rateLimit: { limit: 6, window: '1m' } } })
    const results = []
    for (let i = 0; i < 10; i++) results.push(await (i % 2 === 0 ? pair.a : pair.b).gql(VIEWER, { token: secret }))
    assert.deepEqual(
      results.map((r) => r.status),
      [200, 200, 200, 200, 200, 200, 429, 429, 429, 429],
    )
    assert.deepEqual(
      results.slice(0, 6).map((r) => r.headers.get('ratelimit-remaining')),
      ['5', '4', '3', '2', '1', '0'],
    )
    assert.ok(Number(results[6]?.headers.get('retry-after')) >= 1)
  })

  test('a rotated token and its successor count in one window on both instances: 4 more requests through both secrets after 2 against a limit of 6', async () => {
    const old = await issue(pair.a, { scopes: ['tokens:read'], constraints: { rateLimit: { limit: 6, window: '1h' } } })
    for (let i = 0; i < 2; i++) assert.equal((await pair.a.gql(VIEWER, { token: old.secret })).status, 200)
    const next = dataOf(await pair.b.gql(ROTATE, { variables: { id: old.id, grace: 'PT1H' } })).rotateToken.secret as string
    const statuses = []
    for (let i = 0; i < 8; i++) statuses.push((await (i % 2 === 0 ? pair.a : pair.b).gql(VIEWER, { token: i % 4 < 2 ? next : old.secret })).status)
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429, 429, 429])
  })

  test("two derived tokens and their parent count in the parent's window on both instances: 8 requests after 2 derives against a limit of 6", async () => {
    const parent = await issue(pair.a, { scopes: ['tokens:read', 'tokens:write'], constraints: { rateLimit: { limit: 6, window: '1h' } } })
    const derive = async (on: TestServer) =>
      dataOf(await on.gql(DERIVE, { token: parent.secret, variables: { input: { name: 'child', scopes: ['tokens:read'] } } })).deriveToken.secret as string
    const secrets = [await derive(pair.a), await derive(pair.b), parent.secret]
    const statuses = []
    for (let i = 0; i < 8; i++) statuses.push((await (i % 2 === 0 ? pair.a : pair.b).gql(VIEWER, { token: secrets[i % 3] })).status)
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429, 429, 429])
  })
})

describe('Redis unreachable', () => {
  for (const mode of ['open', 'closed'] as const) {
    describe(`SCOPEWARD_RATE_LIMIT_FAIL=${mode}`, () => {
      let server: TestServer
      before(async () => {
        server = await startServer({ env: { SCOPEWARD_REDIS_URL: CLOSED_REDIS, SCOPEWARD_RATE_LIMIT_FAIL: mode, SCOPEWARD_REDIS_PREFIX: `test-${randomUUID()}:` } })
      })
      after(async () => {
        await server.stop()
      })

      test(
        mode === 'open'
          ? 'rate-limited tokens are let through, without RateLimit headers; a warning is logged'
          : 'rate-limited tokens are refused with 429 RATE_LIMITED and Retry-After; a warning is logged',
        async () => {
          const { secret } = await issue(server, { scopes: ['tokens:read'], constraints: { rateLimit: { limit: 2, window: '1m' } } })
          const results = []
          for (let i = 0; i < 4; i++) results.push(await server.gql(VIEWER, { token: secret }))
          for (const r of results) {
            assert.ok(r.status < 500, `status ${r.status}`)
            if (mode === 'open') {
              assert.equal(r.status, 200)
              assert.equal(r.headers.get('ratelimit-limit'), null)
            } else {
              assert.equal(r.status, 429)
              assert.equal(r.body.errors?.[0]?.extensions?.code, 'RATE_LIMITED')
              assert.ok(Number(r.headers.get('retry-after')) >= 1)
            }
          }
          assert.ok(server.logs.some((l) => l.includes('"level":40') && l.includes(`redis rate limiter unavailable: failing ${mode}`)))
        },
      )

      test('credits are unaffected and tokens without a rate limit pass', async () => {
        const { secret } = await issue(server, { scopes: ['tokens:read'], constraints: { credits: { remaining: 1 } } })
        assert.equal((await server.gql(VIEWER, { token: secret })).status, 200)
        assert.equal(dataOf(await server.gql(VIEWER)).viewer !== null, true)
        const spent = await server.gql(VIEWER, { token: secret })
        assert.equal(spent.status, 429)
        assert.equal(spent.body.errors?.[0]?.extensions?.code, 'USAGE_EXCEEDED')
      })
    })
  }
})
