// Abuse limits: for each one, a document just under it runs and one just over it is refused with a
// 4xx naming the limit, before anything executes (a refused mutation writes no audit event).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Lexer, Source, TokenKind } from 'graphql'
import { loadConfig } from '../../src/config.js'
import { DEFAULT_LIMITS } from '../../src/graphql/abuse-limits.js'
import { auditCount, startServer, tokenCount, type GraphQLResult, type TestServer } from '../e2e/harness.js'

const INPUT = { name: 'limits', scopes: ['tokens:read'] }
const issueDoc = (selection: string) => `mutation($input: IssueTokenInput!) { issueToken(input: $input) ${selection} }`

/** Non-EOF lexical tokens of a document, as graphql-js's `maxTokens` counts them. */
function lexicalTokens(document: string): number {
  const lexer = new Lexer(new Source(document))
  let n = 0
  while (lexer.advance().kind !== TokenKind.EOF) n++
  return n
}

interface LimitCase {
  limit: string
  env: Record<string, string>
  under: string
  over: string
  /** What the refusal's message must say, naming the limit. */
  message: RegExp
  /** How many audit events the document just under the limit writes (it runs). */
  writes: number
}

const TOKEN_LIMIT_DOC = issueDoc('{ secret }')
const TOKEN_LIMIT = lexicalTokens(TOKEN_LIMIT_DOC)

const CASES: LimitCase[] = [
  {
    limit: 'depth',
    env: { SCOPEWARD_MAX_DEPTH: '4' },
    under: issueDoc('{ token { app { id } } }'),
    over: issueDoc('{ token { parent { app { id } } } }'),
    message: /depth limit of 4 exceeded, found 5/,
    writes: 1,
  },
  {
    limit: 'aliases',
    env: { SCOPEWARD_MAX_ALIASES: '2' },
    under: issueDoc('{ a: secret b: secret }'),
    over: issueDoc('{ a: secret b: secret c: secret }'),
    message: /Aliases limit of 2 exceeded, found 3/,
    writes: 1,
  },
  {
    limit: 'directives',
    env: { SCOPEWARD_MAX_DIRECTIVES: '2' },
    under: issueDoc('{ secret @include(if: true) token @include(if: true) { id } }'),
    over: issueDoc('{ secret @include(if: true) token @include(if: true) { id @include(if: true) } }'),
    message: /Directives limit of 2 exceeded, found 3/,
    writes: 1,
  },
  {
    limit: 'tokens',
    env: { SCOPEWARD_MAX_TOKENS: String(TOKEN_LIMIT) },
    under: TOKEN_LIMIT_DOC,
    over: issueDoc('{ secret secret }'),
    message: new RegExp(`more tha[nt] ${TOKEN_LIMIT} tokens`),
    writes: 1,
  },
  {
    limit: 'cost',
    env: { SCOPEWARD_MAX_COST: '11' },
    under: issueDoc('{ secret token { id name } }'),
    over: issueDoc('{ secret token { id name app { id } } }'),
    message: /Cost limit of 11 exceeded/,
    writes: 1,
  },
  {
    limit: 'root fields',
    env: { SCOPEWARD_MAX_ROOT_FIELDS: '2' },
    under: 'mutation($input: IssueTokenInput!) { createApp(input: {name: "rf", allowedScopes: []}) { id } issueToken(input: $input) { secret } }',
    over: 'mutation($input: IssueTokenInput!) { createApp(input: {name: "rf", allowedScopes: []}) { id } issueToken(input: $input) { secret } createScope(input: {name: "rf:x", description: "x"}) { name } }',
    message: /selects 3 root fields; the limit is 2/,
    writes: 2,
  },
  {
    limit: 'list product',
    env: { SCOPEWARD_MAX_LIST_PRODUCT: '100' },
    under: issueDoc('{ token { app { tokens(first: 10) { edges { node { app { tokens(first: 10) { totalCount } } } } } } } }'),
    over: issueDoc('{ token { app { tokens(first: 11) { edges { node { app { tokens(first: 10) { totalCount } } } } } } } }'),
    message: /may read 110 rows through nested lists; the limit is 100/,
    writes: 1,
  },
  {
    limit: 'query length',
    env: { SCOPEWARD_MAX_QUERY_LENGTH: '200' },
    under: issueDoc('{ secret }').padEnd(200, ' '),
    over: issueDoc('{ secret }').padEnd(201, ' '),
    message: /query is 201 characters; the limit is 200/,
    writes: 1,
  },
]

function assertRefused(result: GraphQLResult, message: RegExp): void {
  assert.ok(result.status >= 400 && result.status < 500, `expected a 4xx, got ${result.status}: ${JSON.stringify(result.body)}`)
  assert.equal(result.body.data, undefined, 'nothing executed, so no data')
  const messages = (result.body.errors ?? []).map((e) => e.message)
  assert.ok(
    messages.some((m) => message.test(m)),
    `expected a message matching ${message}, got ${JSON.stringify(messages)}`,
  )
}

for (const c of CASES) {
  describe(`the ${c.limit} limit (${Object.entries(c.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')})`, () => {
    let server: TestServer
    before(async () => {
      server = await startServer({ env: c.env })
    })
    after(() => server.stop())

    test('runs a mutation just under the limit', async () => {
      const audit = await auditCount(server)
      const result = await server.gql(c.under, { variables: { input: INPUT } })
      assert.equal(result.status, 200, JSON.stringify(result.body))
      assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors))
      assert.equal(await auditCount(server), audit + c.writes)
    })

    test('refuses a mutation just over the limit with a 4xx naming it, before anything runs', async () => {
      const [audit, tokens] = [await auditCount(server), await tokenCount(server)]
      assertRefused(await server.gql(c.over, { variables: { input: INPUT } }), c.message)
      assert.equal(await auditCount(server), audit, 'no audit event: the mutation never ran')
      assert.equal(await tokenCount(server), tokens, 'no token issued')
    })
  })
}

describe('the query length limit on GET', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ env: { SCOPEWARD_MAX_QUERY_LENGTH: '100' } })
  })
  after(() => server.stop())

  const get = async (query: string) => {
    const res = await fetch(`${server.url}/graphql?query=${encodeURIComponent(query)}`, {
      headers: { authorization: `Bearer ${server.rootToken}`, 'apollo-require-preflight': 'true' },
    })
    return { status: res.status, headers: res.headers, body: await res.json() } as GraphQLResult
  }

  test('answers a GET query of exactly the limit and refuses one character more', async () => {
    assert.equal((await get('{ viewer { id } }'.padEnd(100, ' '))).status, 200)
    assertRefused(await get('{ viewer { id } }'.padEnd(101, ' ')), /query is 101 characters; the limit is 100/)
  })
})

describe('the body size limit (SCOPEWARD_BODY_LIMIT=2048)', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ env: { SCOPEWARD_BODY_LIMIT: '2048' } })
  })
  after(() => server.stop())

  /** A JSON body of exactly `bytes` bytes running issueToken (padding in a GraphQL comment-free way: trailing spaces). */
  const bodyOf = (bytes: number): string => {
    const base = JSON.stringify({ query: issueDoc('{ secret }'), variables: { input: INPUT } })
    return base.slice(0, -1) + ' '.repeat(bytes - base.length) + '}'
  }
  const post = (body: string | ReadableStream, extra: RequestInit = {}) =>
    fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.rootToken}` }, body, ...extra })

  test('runs a mutation whose body is exactly the limit', async () => {
    const audit = await auditCount(server)
    const body = bodyOf(2048)
    assert.equal(Buffer.byteLength(body), 2048)
    const res = await post(body)
    assert.equal(res.status, 200, await res.clone().text())
    assert.equal(await auditCount(server), audit + 1)
  })

  test('refuses a body one byte over with 413 naming the limit, and runs nothing', async () => {
    const audit = await auditCount(server)
    const res = await post(bodyOf(2049))
    assert.equal(res.status, 413)
    const body = (await res.json()) as GraphQLResult['body']
    assert.equal(body.errors?.[0]?.extensions?.code, 'PAYLOAD_TOO_LARGE')
    assert.match(body.errors?.[0]?.message ?? '', /exceeds 2048 bytes/)
    assert.equal(await auditCount(server), audit)
  })

  test('refuses an oversized chunked body (no Content-Length) with 413 and runs nothing', async () => {
    const audit = await auditCount(server)
    const text = bodyOf(4096)
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < text.length; i += 512) controller.enqueue(new TextEncoder().encode(text.slice(i, i + 512)))
        controller.close()
      },
    })
    const res = await post(stream, { duplex: 'half' })
    assert.equal(res.status, 413)
    assert.equal(await auditCount(server), audit)
  })
})

describe('batching, introspection and field suggestions', () => {
  test('refuses an HTTP batch (a JSON array body) with 400 and runs none of it', async () => {
    const server = await startServer()
    try {
      const audit = await auditCount(server)
      const op = { query: issueDoc('{ secret }'), variables: { input: INPUT } }
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.rootToken}` },
        body: JSON.stringify([op, op]),
      })
      assert.equal(res.status, 400)
      assert.match(((await res.json()) as GraphQLResult['body']).errors?.[0]?.message ?? '', /batching/i)
      assert.equal(await auditCount(server), audit)
    } finally {
      await server.stop()
    }
  })

  const INTROSPECT = '{ __schema { queryType { name } } }'
  const TYPO = '{ viewr { id } }'

  test('with NODE_ENV=production, refuses introspection and hides field suggestions', async () => {
    const server = await startServer({ env: { NODE_ENV: 'production' } })
    try {
      const introspection = await server.gql(INTROSPECT)
      assert.equal(introspection.status, 400)
      assert.equal(introspection.body.data, undefined)
      assert.match(introspection.body.errors?.[0]?.message ?? '', /introspection is not allowed/)
      const typo = await server.gql(TYPO)
      assert.equal(typo.status, 400)
      assert.doesNotMatch(JSON.stringify(typo.body), /Did you mean|"viewer"/)
    } finally {
      await server.stop()
    }
  })

  test('outside production, allows introspection and suggests fields', async () => {
    const server = await startServer({ env: { NODE_ENV: 'development' } })
    try {
      assert.deepEqual((await server.gql(INTROSPECT)).body.data, { __schema: { queryType: { name: 'Query' } } })
      assert.match((await server.gql(TYPO)).body.errors?.[0]?.message ?? '', /Did you mean "viewer"\?/)
    } finally {
      await server.stop()
    }
  })

  test('with NODE_ENV=production and SCOPEWARD_INTROSPECTION=true, introspection is back on', async () => {
    const server = await startServer({ env: { NODE_ENV: 'production', SCOPEWARD_INTROSPECTION: 'true' } })
    try {
      assert.deepEqual((await server.gql(INTROSPECT)).body.data, { __schema: { queryType: { name: 'Query' } } })
    } finally {
      await server.stop()
    }
  })

  test('SCOPEWARD_INTROSPECTION=false turns introspection off outside production', async () => {
    const server = await startServer({ env: { NODE_ENV: 'development', SCOPEWARD_INTROSPECTION: 'false' } })
    try {
      assert.equal((await server.gql(INTROSPECT)).status, 400)
    } finally {
      await server.stop()
    }
  })
})

describe('defaults', () => {
  /** `| \`NAME\` | \`value\` | …` rows of the README's settings table. */
  const readmeDefaults = (): Map<string, string> => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8')
    const rows = new Map<string, string>()
    for (const match of readme.matchAll(/^\| (?:`--[a-z-]+` \/ )?`([A-Z_]+)` \| `([^`]*)` \|/gm)) rows.set(match[1] as string, match[2] as string)
    return rows
  }

  test('every abuse limit defaults to what the README says', () => {
    const config = loadConfig({}, {})
    const documented = readmeDefaults()
    const expected: Record<string, number> = {
      SCOPEWARD_MAX_DEPTH: config.limits.maxDepth,
      SCOPEWARD_MAX_ALIASES: config.limits.maxAliases,
      SCOPEWARD_MAX_DIRECTIVES: config.limits.maxDirectives,
      SCOPEWARD_MAX_TOKENS: config.limits.maxTokens,
      SCOPEWARD_MAX_COST: config.limits.maxCost,
      SCOPEWARD_MAX_ROOT_FIELDS: config.limits.maxRootFields,
      SCOPEWARD_MAX_LIST_PRODUCT: config.limits.maxListProduct,
      SCOPEWARD_MAX_QUERY_LENGTH: config.limits.maxQueryLength,
      SCOPEWARD_BODY_LIMIT: config.bodyLimitBytes,
      SCOPEWARD_AUTH_FAILURES_PER_MINUTE: config.authFailuresPerMinute,
      SCOPEWARD_TOKEN_REQUESTS_PER_MINUTE: config.tokenRequestsPerMinute,
    }
    for (const [name, value] of Object.entries(expected)) {
      assert.equal(documented.get(name), String(value), `README default of ${name}`)
    }
    assert.deepEqual(config.limits, DEFAULT_LIMITS)
  })

  test('the default limits answer an ordinary deep query of this API', async () => {
    const server = await startServer()
    try {
      const result = await server.gql(
        '{ tokens(first: 20) { totalCount edges { cursor node { id name scopes app { id tokens(first: 5) { edges { node { id parent { id } } } } } } } pageInfo { hasNextPage } } }',
      )
      assert.equal(result.status, 200, JSON.stringify(result.body))
      assert.equal(result.body.errors, undefined)
    } finally {
      await server.stop()
    }
  })
})
