/**
 * Variant D (peer): variant A plus authentication and graphql-shield rules of equal meaning to
 * Scopeward's: the context checks the opaque bearer token the way Scopeward does (checksum, row by id,
 * SHA-256 in constant time, not revoked/expired, app enabled, scopes within the app's ceiling), and
 * a shield rule (contextual cache) requires tokens:read on Query.tokens; the list is confined to the
 * caller's app. The bearer token is seeded row 0 (bench/seed.ts seedPlaintext).
 * Usage: node --import tsx bench/servers/apollo-shield.ts --db <file>
 */
import { parseArgs } from 'node:util'
import { ApolloServer } from '@apollo/server'
import { startStandaloneServer } from '@apollo/server/standalone'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { GraphQLError } from 'graphql'
import { applyMiddleware } from 'graphql-middleware'
import { allow, rule, shield } from 'graphql-shield'
import { parseOpaqueToken, secretMatches } from '../../src/tokens/opaque-token.js'
import { announce, LIST_QUERY } from '../lib/child.js'
import { makeResolvers, openData, typeDefs, type BaseContext } from '../lib/apollo-common.js'
import { seedPlaintext } from '../seed.js'

type Ctx = BaseContext & { scopes: ReadonlySet<string> | null }

const { values } = parseArgs({ options: { db: { type: 'string' } } })
const data = openData(values.db as string)
const canReadTokens = rule({ cache: 'contextual' })((_p, _a, ctx: Ctx) => ctx.scopes?.has('tokens:read') ?? false)
const permissions = shield({ Query: { tokens: canReadTokens } }, { fallbackRule: allow })
const schema = applyMiddleware(makeExecutableSchema({ typeDefs, resolvers: makeResolvers(data) as never }), permissions)
const server = new ApolloServer<Ctx>({ schema })

const unauthenticated = () => new GraphQLError('Invalid token', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } })
const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's context function returns a promise
  context: async ({ req }) => {
    const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')
    if (!m) return { appId: '', apps: new Map(), scopes: null }
    const parsed = parseOpaqueToken(m[1] as string)
    if (!parsed) throw unauthenticated()
    const token = data.tokenById.get({ id: parsed.id })
    if (!token || token.secretHash === null || !secretMatches(parsed.secret, token.secretHash)) throw unauthenticated()
    const now = Date.now()
    if (token.revokedAt !== null || (token.expiresAt !== null && token.expiresAt <= now)) throw unauthenticated()
    const app = data.appById.get({ id: token.appId })
    if (!app || app.disabledAt !== null) throw unauthenticated()
    const ceiling = new Set(app.allowedScopes)
    return { appId: app.id, apps: new Map([[app.id, app]]), scopes: new Set(token.scopes.filter((s) => ceiling.has(s))) }
  },
})
const port = Number(new URL(url).port)
announce(
  {
    port,
    request: {
      path: '/',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${seedPlaintext(0)}` },
      body: JSON.stringify({ query: LIST_QUERY }),
    },
  },
  {},
  () => server.stop(),
)
