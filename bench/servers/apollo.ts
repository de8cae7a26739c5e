/**
 * Variant A (baseline): bare Apollo Server 5 via startStandaloneServer, default plugins, no auth.
 * Lists the bench app's tokens from a seeded copy of Scopeward's SQLite file (bench/lib/apollo-common.ts),
 * as a connection; with `--flat` (variant AF), as a flat list (`tokens(first: 20): [Token!]!`).
 * Usage: node --import tsx bench/servers/apollo.ts --db <file> [--flat]
 */
import { parseArgs } from 'node:util'
import { ApolloServer } from '@apollo/server'
import { startStandaloneServer } from '@apollo/server/standalone'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { announce, FLAT_LIST_QUERY, LIST_QUERY } from '../lib/child.js'
import { flatTypeDefs, makeResolvers, openData, typeDefs, type BaseContext } from '../lib/apollo-common.js'
import { BENCH_APP_ID } from '../seed.js'

const { values } = parseArgs({ options: { db: { type: 'string' }, flat: { type: 'boolean', default: false } } })
const data = openData(values.db as string)
const server = new ApolloServer<BaseContext>({
  schema: makeExecutableSchema({ typeDefs: values.flat ? flatTypeDefs : typeDefs, resolvers: makeResolvers(data, values.flat ? 'flat' : 'connection') as never }),
})
const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's context function returns a promise
  context: async () => ({ appId: BENCH_APP_ID, apps: new Map() }),
})
const port = Number(new URL(url).port)
announce(
  { port, request: { path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: values.flat ? FLAT_LIST_QUERY : LIST_QUERY }) } },
  {},
  () => server.stop(),
)
