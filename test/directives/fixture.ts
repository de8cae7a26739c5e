import type { GraphQLSchema } from 'graphql'
import type { ScopeDirectiveOptions } from '../../src/directives/index.js'
import { buildScopedSchema } from './harness.js'

/** A small Scopeward-like schema exercising every directive location. */
export const fixtureTypeDefs = /* GraphQL */ `
  interface Node {
    id: ID!
  }
  interface Owned @requiresScope(scopes: ["owners:read"]) {
    owner: String
  }
  type Token implements Node @requiresScope(scopes: ["tokens:read"]) {
    id: ID!
    name: String
    secretHint: String @requiresScope(scopes: ["secrets:read"])
    app: App
  }
  type App implements Node {
    id: ID!
    name: String
    auditLog: [String!] @requiresScope(anyOf: [["audit:read", "apps:read"], ["admin"]])
    tokens: [Token!]!
  }
  type Doc implements Node & Owned {
    id: ID!
    owner: String
    title: String
  }
  union SearchResult = Token | App
  type Query {
    tokens: [Token!]! @requiresScope(scopes: ["tokens:read"])
    apps: [App!]! @authenticated
    node(id: ID!): Node @authenticated
    search: [SearchResult!]! @authenticated
    health: String @public
    viewerToken: Token @public
    both: String @requiresScope(anyOf: [["a", "b"], ["c"]])
  }
  type Mutation {
    createApp(name: String!): App @requiresScope(scopes: ["apps:write"])
    revokeToken(id: ID!): Boolean @requiresScope(scopes: ["tokens:write"])
  }
`

export const fixtureImplies = {
  'tokens:admin': ['tokens:write'],
  'tokens:write': ['tokens:read'],
  admin: ['tokens:admin', 'apps:write'],
}

const token = { __typename: 'Token', id: 't1', name: 'ci', secretHint: 'sw_…9f', app: null }
const app = { __typename: 'App', id: 'a1', name: 'billing', auditLog: ['created'], tokens: [token, { ...token, id: 't2' }] }
const doc = { __typename: 'Doc', id: 'd1', owner: 'ana', title: 'plan' }
const byId: Record<string, object> = { t1: token, a1: app, d1: doc }

/** Side effects of the mutations, so tests can prove that nothing ran. */
export interface Effects {
  created: number
  revoked: number
}

export function fixtureSchema(options: Partial<ScopeDirectiveOptions> = {}, effects: Effects = { created: 0, revoked: 0 }): GraphQLSchema {
  return buildScopedSchema(
    fixtureTypeDefs,
    {
      Node: { __resolveType: (o: { __typename: string }) => o.__typename },
      SearchResult: { __resolveType: (o: { __typename: string }) => o.__typename },
      Query: {
        tokens: () => [token],
        apps: () => [app],
        node: (_: unknown, { id }: { id: string }) => byId[id] ?? null,
        search: () => [token, app],
        health: () => 'ok',
        viewerToken: () => token,
        both: () => 'both',
      },
      Mutation: {
        createApp: (_: unknown, { name }: { name: string }) => {
          effects.created++
          return { ...app, name }
        },
        revokeToken: () => {
          effects.revoked++
          return true
        },
      },
    },
    { implies: fixtureImplies, ...options },
  )
}
