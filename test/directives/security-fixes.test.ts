// Issues 11 and 18 against the directive engine as a library: each test attacks it the way the
// reviews did, and checks the refusal or the corrected decision.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parse, subscribe, validate, type GraphQLSchema } from 'graphql'
import { acceptedScopesHeader, checkOperation, requiredScopes, ScopeDirectiveBuildError } from '../../src/directives/index.js'
import { MAX_VISITED_SELECTIONS, OperationTooLargeError } from '../../src/directives/analyze-operation.js'
import { maxListProductRule } from '../../src/graphql/abuse-limits.js'
import { fixtureSchema } from './fixture.js'
import { buildScopedSchema, run } from './harness.js'

function exponentialDocument(levels: number, leaf: string): string {
  const parts = [`fragment F0 on Query { ${leaf} }`]
  for (let i = 1; i <= levels; i++) parts.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`)
  return `{ ...F${levels} } ${parts.join(' ')}`
}

const tooLarge = (visitedAtMost: number) => (error: unknown) => {
  assert.ok(error instanceof OperationTooLargeError, String(error))
  assert.ok(error.visited <= visitedAtMost, `visited ${error.visited} selections`)
  assert.match(error.message, /too large to authorize/)
  return true
}

describe('11.3 bounded analysis', () => {
  const schema: GraphQLSchema = fixtureSchema()

  test('11.3 a 2^30-expansion document is refused after a bounded number of visited selections', () => {
    for (const leaf of ['__typename', 'health', 'health @skip(if: true)', 'tokens { id }']) {
      const document = parse(exponentialDocument(30, leaf))
      assert.throws(() => requiredScopes(schema, document), tooLarge(MAX_VISITED_SELECTIONS + 1))
      assert.throws(() => checkOperation({ schema, document, contextValue: { scopes: ['tokens:read'] } }), tooLarge(MAX_VISITED_SELECTIONS + 1))
    }
  })

  test('11.3 requiredScopes(text) parses under a token limit and validates: an unknown field is an error, not "needs nothing"', () => {
    assert.throws(() => requiredScopes(schema, `{ ${'health '.repeat(20_000)}}`), /tokens/)
    assert.throws(() => requiredScopes(schema, '{ doesNotExist }'), /Cannot query field "doesNotExist"/)
    assert.deepEqual(requiredScopes(schema, '{ tokens { id } }'), [['tokens:read']])
  })

  test('11.3 the list-product rule walks each fragment once: a 2^30 expansion validates at once', () => {
    // `tokens` and `apps` count 20 rows each (their default page size): the worst path is still computed exactly.
    const messages = (source: string, max: number) => validate(schema, parse(source), [maxListProductRule(max)]).map((e) => e.message)
    assert.deepEqual(messages(exponentialDocument(30, 'tokens { id }'), 10), ['Operation may read 20 rows through nested lists; the limit is 10'])
    const nested = `{ ...L2 } fragment L0 on App { tokens { id } } fragment L1 on Query { apps { ...L0 ...L0 } } fragment L2 on Query { ...L1 ...L1 }`
    assert.deepEqual(messages(nested, 1), ['Operation may read 400 rows through nested lists; the limit is 1'])
    assert.deepEqual(messages(nested, 400), [])
  })
})

describe('11.19 protected fields are nullable (nullableProtectedFields)', () => {
  const sdl = /* GraphQL */ `
    interface Node {
      id: ID!
      secret: String!
    }
    type User implements Node {
      id: ID!
      secret: String! @requiresScope(scopes: ["users:secret"])
    }
    type Private @requiresScope(scopes: ["private:read"]) {
      note: String!
    }
    type Query {
      me: User @authenticated
      count: Int! @requiresScope(scopes: ["count:read"])
      private: Private! @authenticated
      open: String! @public
    }
    type Mutation {
      act: Boolean! @requiresScope(scopes: ["act"])
    }
  `

  test('11.19 a protected non-null field is a build error naming each coordinate; mutation roots are exempt', () => {
    assert.throws(
      () => buildScopedSchema(sdl, {}, { nullableProtectedFields: true }),
      (error: unknown) => {
        assert.ok(error instanceof ScopeDirectiveBuildError)
        // Own rule, return-type rule, type rule, and the interface field an implementor protects.
        assert.deepEqual(error.problems.map((p) => p.coordinate).sort(), ['Node.secret', 'Private.note', 'Query.count', 'Query.private', 'User.secret'])
        return true
      },
    )
    // Off by default: existing schemas keep building.
    assert.ok(buildScopedSchema(sdl))
  })

  test('11.19 with the option, a denial yields partial data', async () => {
    const schema = buildScopedSchema(
      'type Query { count: Int @requiresScope(scopes: ["count:read"]) open: String! @public }',
      { Query: { count: () => 1, open: () => 'yes' } },
      { nullableProtectedFields: true },
    )
    const { result } = await run(schema, [], '{ count open }')
    assert.deepEqual(result?.data, { count: null, open: 'yes' })
    assert.equal(result?.errors?.[0]?.extensions?.['code'], 'FORBIDDEN')
  })
})

describe('rules in code (options.rules): 11.15 operator-chosen openness, 18.18 Federation fields', () => {
  const sdl = 'type Query { discovery: String @authenticated tokens: String @requiresScope(scopes: ["tokens:read"]) }'
  const resolvers = { Query: { discovery: () => 'd', tokens: () => 't' } }

  test('11.15 a rule in code replaces the SDL rule at its coordinate', async () => {
    const closed = buildScopedSchema(sdl, resolvers)
    assert.deepEqual(
      (await run(closed, null, '{ discovery }')).check.denied.map((d) => d.reason),
      ['UNAUTHENTICATED'],
    )
    const open = buildScopedSchema(sdl, resolvers, { rules: { 'Query.discovery': 'public' } })
    assert.deepEqual((await run(open, null, '{ discovery }')).result?.data, { discovery: 'd' })
    const stricter = buildScopedSchema(sdl, resolvers, { rules: { 'Query.discovery': [['admin']] } })
    assert.deepEqual(
      (await run(stricter, ['tokens:read'], '{ discovery }')).check.denied.map((d) => d.missingScopes),
      [['admin']],
    )
  })

  test('11.15 a rule in code for a coordinate that does not exist, or an empty one, is a build error', () => {
    assert.throws(() => buildScopedSchema(sdl, resolvers, { rules: { 'Query.nope': 'public' } }), /Query\.nope: options\.rules names a type or field the schema does not have/)
    assert.throws(() => buildScopedSchema(sdl, resolvers, { rules: { 'Query.tokens': [[]] } }), /Query\.tokens: options\.rules/)
    assert.throws(() => buildScopedSchema(sdl, resolvers, { rules: { 'Query.tokens': [['undeclared']] }, declaredScopes: ['tokens:read'] }), /scope "undeclared" is not declared/)
  })

  test('18.18 Federation _service and _entities: default deny names the fix, and options.rules rules them', async () => {
    const subgraph = /* GraphQL */ `
      scalar _Any
      type _Service {
        sdl: String
      }
      union _Entity = User
      type User {
        id: ID!
        email: String @requiresScope(scopes: ["email:read"])
      }
      type Query {
        me: User @authenticated
        _service: _Service!
        _entities(representations: [_Any!]!): [_Entity]!
      }
    `
    const user = { __typename: 'User', id: 'u1', email: 'a@b' }
    const federationResolvers = {
      _Entity: { __resolveType: () => 'User' },
      Query: { me: () => user, _service: () => ({ sdl: 'type User' }), _entities: () => [user] },
    }
    assert.throws(
      () => buildScopedSchema(subgraph, federationResolvers),
      (error: unknown) => {
        assert.ok(error instanceof ScopeDirectiveBuildError)
        assert.deepEqual(error.problems.map((p) => p.coordinate).sort(), ['Query._entities', 'Query._service'])
        assert.ok(error.problems.every((p) => /options\.rules/.test(p.message)))
        return true
      },
    )
    const schema = buildScopedSchema(subgraph, federationResolvers, { rules: { 'Query._service': 'public', 'Query._entities': 'authenticated' } })
    assert.deepEqual((await run(schema, null, '{ _service { sdl } }')).result?.data, { _service: { sdl: 'type User' } })
    // Entities carry their own rules: an entity's protected field is denied through _entities too.
    const entities = await run(schema, [], '{ _entities(representations: [{}]) { ... on User { id email } } }')
    assert.deepEqual(
      entities.check.denied.map((d) => d.path),
      [['_entities', 'email']],
    )
    assert.deepEqual(entities.result?.data, { _entities: [{ id: 'u1', email: null }] })
  })
})

describe('18.16 the per-request decision cache', () => {
  test('18.16 scopes with spaces never share a cached decision: no half-run mutation for a weaker caller', async () => {
    const effects = { m1: 0, m2: 0 }
    const schema = buildScopedSchema(
      /* GraphQL */ `
        type Query {
          ok: Boolean @public
        }
        type Mutation {
          m1: Boolean @requiresScope(anyOf: [["c"], ["b c"]])
          m2: Boolean @requiresScope(scopes: ["a"])
        }
      `,
      { Mutation: { m1: () => (effects.m1++, true), m2: () => (effects.m2++, true) } },
    )
    const document = parse('mutation { m1 m2 }')
    // The stronger caller first: ["a", "b c"] is allowed both fields and its decision is cached.
    assert.deepEqual(checkOperation({ schema, document, contextValue: { scopes: ['a', 'b c'] } }).denied, [])
    // ["a b", "c"] joined by spaces is the same string, "a b c"; it holds only c.
    const weaker = checkOperation({ schema, document, contextValue: { scopes: ['a b', 'c'] } })
    assert.deepEqual(
      weaker.denied.map((d) => d.coordinate),
      ['Mutation.m2'],
    )
    // Through the plain graphql-js recipe nothing runs at all.
    const { result } = await run(schema, ['a b', 'c'], 'mutation { m1 m2 }')
    assert.equal(result, undefined)
    assert.deepEqual(effects, { m1: 0, m2: 0 })
  })
})

describe('18.15 a named fragment is decided per path', () => {
  test('18.15 a fragment denied at one path stays allowed at another, and checkOperation().denied agrees with execution', async () => {
    const schema = buildScopedSchema(
      /* GraphQL */ `
        interface Node {
          id: ID!
          secret: String
        }
        type User implements Node {
          id: ID!
          secret: String @requiresScope(scopes: ["users:secret"])
        }
        type Bot implements Node {
          id: ID!
          secret: String @requiresScope(scopes: ["bots:secret"])
        }
        type Query {
          user: User @public
          bot: Bot @public
        }
      `,
      {
        Node: { __resolveType: (o: { __typename: string }) => o.__typename },
        Query: { user: () => ({ __typename: 'User', id: 'u', secret: 'u-secret' }), bot: () => ({ __typename: 'Bot', id: 'b', secret: 'b-secret' }) },
      },
    )
    const { check, result } = await run(schema, ['users:secret'], '{ user { ...S } bot { ...S } } fragment S on Node { id secret }')
    assert.deepEqual(
      check.denied.map((d) => d.path),
      [['bot', 'secret']],
    )
    assert.deepEqual(result?.data, { user: { id: 'u', secret: 'u-secret' }, bot: { id: 'b', secret: null } })
    assert.deepEqual(
      result?.errors?.map((e) => e.path),
      [['bot', 'secret']],
    )
  })
})

describe('18.14 least first by what alternatives imply', () => {
  const recorded: { used: readonly string[]; required: readonly string[] }[] = []
  const schema = buildScopedSchema(
    'type Query { report: String @requiresScope(anyOf: [["admin"], ["a", "b"]]) }',
    { Query: { report: () => 'r' } },
    { implies: { admin: ['a', 'b'] }, onAuthorized: (_c, used, required) => void recorded.push({ used, required }) },
  )

  test('18.14 [admin] implying a and b is not least: not ranked first, not suggested, not in the header, not recorded as needed', async () => {
    assert.deepEqual(requiredScopes(schema, '{ report }'), [['a', 'b']])
    const anonymous = checkOperation({ schema, document: parse('{ report }'), contextValue: { scopes: [] } })
    assert.equal(acceptedScopesHeader(anonymous.requirement), 'a, b')
    assert.deepEqual(
      anonymous.denied.map((d) => [d.requiredScopes, d.missingScopes]),
      [[[['a', 'b']], ['a', 'b']]],
    )
    const halfway = checkOperation({ schema, document: parse('{ report }'), contextValue: { scopes: ['a'] } })
    assert.deepEqual(
      halfway.denied.map((d) => d.missingScopes),
      [['b']],
    )
    // Execution reports the same.
    const denied = await run(schema, ['a'], '{ report }')
    assert.deepEqual(
      denied.result?.errors?.map((e) => e.extensions?.['missingScopes']),
      [['b']],
    )
    recorded.length = 0
    assert.deepEqual((await run(schema, ['admin'], '{ report }')).result?.data, { report: 'r' })
    assert.deepEqual(recorded, [{ used: ['admin'], required: ['a', 'b'] }])
  })
})

describe('18.17 subscriptions', () => {
  test('18.17 a subscription whose source comes from rootValue does not open for a caller without the scope', async () => {
    const schema = buildScopedSchema('type Query { ok: Boolean @public } type Subscription { ticks: Int @requiresScope(scopes: ["ticks:read"]) }')
    let opened = 0
    const rootValue = {
      // eslint-disable-next-line @typescript-eslint/require-await -- subscribe() needs an async iterable as the source
      ticks: async function* () {
        opened++
        yield { ticks: 1 }
      },
    }
    const document = parse('subscription { ticks }')
    for (const scopes of [null, ['other']]) {
      const denied = await subscribe({ schema, document, rootValue, contextValue: { scopes } })
      assert.ok(!(Symbol.asyncIterator in denied), 'no stream for a denied caller')
      assert.deepEqual(
        denied.errors?.map((e) => e.extensions['code']),
        [scopes === null ? 'UNAUTHENTICATED' : 'FORBIDDEN'],
      )
    }
    assert.equal(opened, 0)
    const allowed = await subscribe({ schema, document, rootValue, contextValue: { scopes: ['ticks:read'] } })
    assert.ok(Symbol.asyncIterator in allowed)
    const first = await allowed.next()
    assert.deepEqual(JSON.parse(JSON.stringify(first.value)), { data: { ticks: 1 } })
    assert.equal(opened, 1)
  })
})

describe('18.18 adoption', () => {
  test('18.18 @requiresScope and @authenticated on scalars and enums guard every field returning them', async () => {
    const schema = buildScopedSchema(
      /* GraphQL */ `
        scalar Email @requiresScope(scopes: ["pii:read"])
        enum Risk @authenticated {
          LOW
          HIGH
        }
        type User {
          id: ID!
          email: Email
          risk: Risk
        }
        type Query {
          user: User @public
        }
      `,
      { Query: { user: () => ({ id: 'u', email: 'a@b', risk: 'LOW' }) } },
    )
    const anonymous = await run(schema, null, '{ user { id email risk } }')
    assert.deepEqual(
      anonymous.check.denied.map((d) => [d.path.join('.'), d.reason]),
      [
        ['user.email', 'UNAUTHENTICATED'],
        ['user.risk', 'UNAUTHENTICATED'],
      ],
    )
    assert.deepEqual(anonymous.result?.data, { user: { id: 'u', email: null, risk: null } })
    const caller = await run(schema, [], '{ user { id email risk } }')
    assert.deepEqual(
      caller.check.denied.map((d) => [d.path.join('.'), d.missingScopes]),
      [['user.email', ['pii:read']]],
    )
    assert.deepEqual(caller.result?.data, { user: { id: 'u', email: null, risk: 'LOW' } })
    assert.deepEqual((await run(schema, ['pii:read'], '{ user { email } }')).result?.data, { user: { email: 'a@b' } })
  })
})
