// Fuzzing the HTTP front with fast-check: random and malformed documents, variables, headers,
// bodies and tokens. Whatever arrives, the server answers below 500, leaks no stack trace or path,
// keeps serving, and never returns protected data to a caller without a valid token.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { parse, visit } from 'graphql'
import { checksum, OPAQUE_PREFIX } from '../../src/tokens/opaque-token.js'
import { startServer, type TestServer } from '../e2e/harness.js'
import { propertyOptions } from '../property-options.js'

const RUNS = 200
/** Wall-clock budget of one property: it stops early rather than slow the suite (not when replaying FC_SEED). */
const BUDGET_MS = 3_000
const SCHEMA = readFileSync(resolve(import.meta.dirname, '../../schema/scopeward.graphql'), 'utf8')
/** Every field and argument name declared in the schema, plus meta fields. */
const NAMES = [...new Set([...SCHEMA.matchAll(/^\s+([a-zA-Z_]\w*)\s*[(:]/gm)].map((m) => m[1] as string)), '__typename', '__schema', '__type', 'types', 'name', 'fields']
const TYPES = [...new Set([...SCHEMA.matchAll(/^(?:type|input|enum|scalar) (\w+)/gm)].map((m) => m[1] as string))]
/** Root fields any caller may read; every other root field is protected (scopeRequirements and requiredScopes too, issue 11.15). */
const PUBLIC_ROOT_FIELDS = new Set(['__typename', '__schema', '__type'])
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

const base62 = (length: number) => fc.string({ unit: fc.constantFrom(...BASE62), minLength: length, maxLength: length })
/** Printable ASCII: what a header value may hold (fetch refuses control characters outright). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 })

const name = fc.oneof(fc.constantFrom(...NAMES), fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,8}$/))
const scalar = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom(
    '1e400',
    '-0',
    '99999999999999999999999999',
    '0.5',
    'true',
    'false',
    'null',
    'ACTIVE',
    'REVOKED',
    'JWT',
    '$x',
    '$input',
    '[]',
    '{}',
    '"P30D"',
    '"tokens:read"',
    '"\\u0000"',
    '""" block """',
  ),
  fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
)
const directive = fc.oneof(
  fc.constantFrom('@include(if: true)', '@skip(if: false)', '@include(if: $x)', '@deprecated', '@requiresScope(scopes: ["x"])', '@authenticated', '@public'),
  name.map((n) => `@${n}`),
)
const args = fc
  .array(
    fc.tuple(name, scalar).map(([n, v]) => `${n}: ${v}`),
    { maxLength: 3 },
  )
  .map((a) => (a.length ? `(${a.join(', ')})` : ''))

/** Selection sets with real field names, arguments, aliases, directives, inline fragments and spreads. */
const { selectionSet } = fc.letrec<{ selectionSet: string; selection: string }>((tie) => ({
  selectionSet: fc.array(tie('selection'), { minLength: 1, maxLength: 4 }).map((s) => `{ ${s.join(' ')} }`),
  selection: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.option(name.map((n) => `${n}:`)), name, args, fc.option(directive)).map((p) => p.filter(Boolean).join(' ')),
    fc.tuple(fc.option(name.map((n) => `${n}:`)), name, args, fc.option(directive), tie('selectionSet')).map((p) => p.filter(Boolean).join(' ')),
    fc.tuple(fc.constantFrom(...TYPES), tie('selectionSet')).map(([t, s]) => `... on ${t} ${s}`),
    name.map((n) => `...${n}`),
  ),
}))

const operation = fc
  .tuple(
    fc.constantFrom('', 'query', 'mutation', 'subscription', 'query Q', 'mutation M($x: Boolean, $input: IssueTokenInput!)', 'query($x: Boolean = true, $id: ID!)'),
    fc.option(directive),
    selectionSet,
  )
  .map((p) => p.filter(Boolean).join(' '))
const fragment = fc.tuple(name, fc.constantFrom(...TYPES), selectionSet).map(([n, t, s]) => `fragment ${n} on ${t} ${s}`)
const wellShaped = fc.tuple(fc.array(operation, { minLength: 1, maxLength: 2 }), fc.array(fragment, { maxLength: 2 })).map(([ops, frags]) => [...ops, ...frags].join('\n'))

/** Token soup: the pieces of GraphQL shuffled with garbage. */
const soup = fc
  .array(
    fc.oneof(
      name,
      scalar,
      directive,
      fc.constantFrom(
        '{',
        '}',
        '(',
        ')',
        '[',
        ']',
        ':',
        '$',
        '@',
        '...',
        '!',
        '=',
        '|',
        '&',
        ',',
        '#',
        '"',
        'query',
        'mutation',
        'fragment',
        'on',
        'subscription',
        '\u0000',
        '\uFEFF',
        '\uD800',
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 40 },
  )
  .map((t) => t.join(' '))

/** A document that is valid-looking, truncated, or garbage. */
const documentArb = fc.oneof(
  wellShaped,
  soup,
  fc.tuple(wellShaped, fc.nat()).map(([d, n]) => d.slice(0, n % (d.length + 1))),
  fc.string({ maxLength: 200 }),
)

/** Variables: any JSON, and near-real shapes. */
const variablesArb = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record(
    {
      x: fc.jsonValue({ maxDepth: 2 }),
      id: fc.jsonValue({ maxDepth: 1 }),
      input: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ name: fc.string(), scopes: fc.array(fc.string()), expiresIn: fc.string() })),
    },
    { requiredKeys: [] },
  ),
)

describe('fuzzing the HTTP front', () => {
  let server: TestServer
  let rootId: string
  let tokenArb: fc.Arbitrary<string | null>

  before(async () => {
    server = await startServer()
    rootId = server.rootToken.slice(OPAQUE_PREFIX.length, OPAQUE_PREFIX.length + 16)
    const root = server.rootToken
    const withChecksum = (body: string) => body + checksum(body)
    tokenArb = fc.oneof(
      fc.constant(null),
      headerText,
      // one character of the real root token changed: bad checksum (never the valid token itself)
      fc.tuple(fc.nat({ max: root.length - 1 }), fc.constantFrom(...BASE62)).map(([i, c]) => root.slice(0, i) + (root[i] === c ? (c === 'A' ? 'B' : 'A') : c) + root.slice(i + 1)),
      // the root id with a wrong secret and a correct checksum: reaches the constant-time compare
      base62(32)
        .map((secret) => withChecksum(`${OPAQUE_PREFIX}${rootId}${secret}`))
        .filter((t) => t !== root),
      // an unknown id, correct checksum
      base62(48).map((rest) => withChecksum(`${OPAQUE_PREFIX}${rest}`)),
      fc.tuple(base62(20), base62(30), base62(40)).map(([a, b, c]) => `eyJ${a}.eyJ${b}.${c}`),
      // (not `${root}\t`: HTTP strips whitespace around a header value, so that IS the valid token)
      fc.constantFrom('', 'swt_', `${root} ${root}`, `${root},${root}`, root.toLowerCase(), `${root}x`, root.slice(0, -1)),
    )
  })
  after(() => server.stop())

  async function send(init: { method?: string; path?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
    // In process (inject): these properties are about answers, not sockets, and run hundreds of requests.
    const res = await server.request(init.path ?? '/graphql', {
      method: init.method ?? 'POST',
      headers: init.headers ?? {},
      ...(init.body !== undefined ? { body: init.body } : {}),
    })
    return { status: res.status, text: await res.text() }
  }

  /** The invariants every answer keeps, whatever was asked. */
  function assertSafe(answer: { status: number; text: string }, document?: string): void {
    assert.ok(answer.status < 500, `HTTP ${answer.status}: ${answer.text.slice(0, 300)}`)
    for (const leak of ['    at ', 'node_modules', '/work/', 'file://'])
      assert.ok(!answer.text.includes(leak), `response leaks ${JSON.stringify(leak)}: ${answer.text.slice(0, 300)}`)
    if (answer.status !== 200 || document === undefined) return
    let body: { data?: Record<string, unknown> | null }
    try {
      body = JSON.parse(answer.text)
    } catch {
      return
    }
    for (const [key, value] of Object.entries(body.data ?? {})) {
      if (value === null) continue
      const fields = rootFieldsOf(document, key)
      assert.ok(
        fields.some((f) => PUBLIC_ROOT_FIELDS.has(f)),
        `protected data ${key} (${fields.join(', ')}) answered without a valid token: ${answer.text.slice(0, 300)}`,
      )
    }
  }

  /** The field names a response key can stand for in `document` (alias or name, in any selection). */
  function rootFieldsOf(document: string, key: string): string[] {
    const names = new Set<string>()
    visit(parse(document), {
      Field(node) {
        if ((node.alias?.value ?? node.name.value) === key) names.add(node.name.value)
      },
    })
    return [...names]
  }

  async function check(property: fc.IAsyncProperty<any>): Promise<void> {
    await fc.assert(property, propertyOptions(RUNS, { interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false }))
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'still serving')
  }

  test('random documents and variables, with random or near-valid tokens', async () => {
    await check(
      fc.asyncProperty(documentArb, variablesArb, tokenArb, async (query, variables, token) => {
        const headers: Record<string, string> = { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) }
        assertSafe(await send({ headers, body: JSON.stringify({ query, variables }) }), query)
      }),
    )
  })

  test('well-shaped documents without any token never yield protected data', async () => {
    await check(
      fc.asyncProperty(wellShaped, variablesArb, async (query, variables) => {
        assertSafe(await send({ headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) }), query)
      }),
    )
  })

  test('random header values: Authorization, content-type, request id, forwarded-for, origin', async () => {
    const contentType = fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-16',
        'text/plain',
        'application/graphql',
        'application/graphql-response+json',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
        '',
      ),
      headerText,
    )
    await check(
      fc.asyncProperty(
        fc.option(fc.tuple(fc.constantFrom('Bearer ', '', 'Basic ', 'bearer ', 'Bearer  ', 'Token '), headerText).map(([scheme, t]) => scheme + t)),
        fc.option(tokenArb.filter((t): t is string => t !== null).map((t) => `Bearer ${t}`)),
        contentType,
        fc.option(headerText),
        fc.option(headerText),
        fc.constantFrom('POST', 'GET'),
        async (randomAuth, nearValid, ct, requestId, forwarded, method) => {
          const headers: Record<string, string> = {}
          const auth = nearValid ?? randomAuth
          if (auth !== null) headers.authorization = auth
          if (ct) headers['content-type'] = ct
          if (requestId !== null) headers['x-request-id'] = requestId
          if (forwarded !== null) headers['x-forwarded-for'] = forwarded
          headers['apollo-require-preflight'] = 'true'
          const query = '{ tokens(first: 1) { totalCount } viewer { id } scopeRequirements { coordinate } }'
          const answer =
            method === 'GET' ? await send({ method, path: `/graphql?query=${encodeURIComponent(query)}`, headers }) : await send({ headers, body: JSON.stringify({ query }) })
          assertSafe(answer, query)
        },
      ),
    )
  })

  test('random bodies: non-objects, nesting, huge numbers, unicode, NUL, broken JSON', async () => {
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.anything({ maxDepth: 3 }).map((v) => {
        try {
          return JSON.stringify(v) ?? 'undefined'
        } catch {
          return String(v)
        }
      }),
      fc
        .record(
          {
            query: fc.jsonValue({ maxDepth: 2 }),
            variables: fc.jsonValue({ maxDepth: 2 }),
            operationName: fc.jsonValue({ maxDepth: 1 }),
            extensions: fc.jsonValue({ maxDepth: 2 }),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
      fc.nat({ max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
      fc.nat({ max: 3000 }).map((n) => `{"query":"{ viewer { id } }","variables":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
      fc.constantFrom(
        '{"query": 1e400}',
        '{"query": "{ __typename }", "variables": 1e400}',
        '{"query":"\\u0000{ viewer { id } }"}',
        '{"query":"{ viewer { id } }\u0000"}',
        '\u0000',
        '{"query":"\\ud800"}',
        '\uFEFF{"query":"{ __typename }"}',
        '{"query":"{ __typename }"',
        'null',
        '[]',
        '[{}]',
        '""',
        '-0',
        '{"__proto__":{"query":"{ tokens { totalCount } }"}}',
        '{"constructor":{"prototype":{"x":1}}}',
      ),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    )
    await check(
      fc.asyncProperty(body, fc.constantFrom(null, 'application/json', 'text/plain'), fc.boolean(), async (text, ct, withBadToken) => {
        const headers: Record<string, string> = {}
        if (ct) headers['content-type'] = ct
        if (withBadToken) headers.authorization = `Bearer ${OPAQUE_PREFIX}${'x'.repeat(54)}`
        // The only document a random body can name is inside it; protected fields must come back null.
        assertSafe(await send({ headers, body: text }))
        const parsed = (() => {
          try {
            return JSON.parse(text) as { query?: unknown }
          } catch {
            return null
          }
        })()
        if (parsed && typeof parsed === 'object' && typeof parsed.query === 'string') {
          try {
            parse(parsed.query)
          } catch {
            return
          }
          assertSafe(await send({ headers: { 'content-type': 'application/json' }, body: text }), parsed.query)
        }
      }),
    )
  })

  test('random paths and methods on every route', async () => {
    const path = fc.oneof(
      fc.constantFrom(
        '/graphql',
        '/healthz',
        '/readyz',
        '/metrics',
        '/oauth/token',
        '/oauth/introspect',
        '/oauth/revoke',
        '/.well-known/jwks.json',
        '/.well-known/oauth-authorization-server',
      ),
      headerText.map((t) => `/${encodeURIComponent(t)}`),
      fc.constantFrom('//', '/graphql/../healthz', '/%00', '/%zz', '/graphql?query=%7B', '/graphql?query=%ZZ', `/graphql?${'a=1&'.repeat(2000)}`),
    )
    await check(
      fc.asyncProperty(
        path,
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
        fc.option(fc.string({ maxLength: 100 })),
        fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain'),
        async (p, method, body, ct) => {
          const hasBody = body !== null && method !== 'GET' && method !== 'HEAD'
          const answer = await send({ method, path: p, headers: { 'content-type': ct }, ...(hasBody ? { body } : {}) })
          assertSafe(answer)
        },
      ),
    )
  })

  test('random OAuth forms with random client credentials', async () => {
    // Never the valid root token: a token exchange with it would rightly succeed.
    const value = fc.oneof(
      headerText,
      tokenArb.filter((t): t is string => t !== null),
      fc.constantFrom('client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange', 'urn:ietf:params:oauth:token-type:access_token', 'tokens:read', 'root'),
    )
    const key = fc.oneof(
      fc.constantFrom(
        'grant_type',
        'scope',
        'client_id',
        'client_secret',
        'subject_token',
        'subject_token_type',
        'actor_token',
        'actor_token_type',
        'token',
        'token_type_hint',
        'resource',
      ),
      headerText,
    )
    const form = fc.dictionary(key, value, { maxKeys: 6 })
    await check(
      fc.asyncProperty(
        fc.constantFrom('/oauth/token', '/oauth/introspect', '/oauth/revoke'),
        form,
        fc.option(tokenArb.filter((t): t is string => t !== null)),
        async (path, fields, bearer) => {
          const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
          if (bearer !== null) headers.authorization = `Bearer ${bearer}`
          const answer = await send({ path, headers, body: new URLSearchParams(fields).toString() })
          assertSafe(answer)
          if (answer.status === 200 && path === '/oauth/token') assert.fail(`a token was granted to random credentials: ${answer.text}`)
        },
      ),
    )
  })
})
