import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../../src/clock.js'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { createScopeward, type Scopeward } from '../../src/scopeward.js'
import { createTestDatabase } from '../store/fresh-pg-database.js'

/** A running Scopeward on a random port and a fresh database, with helpers to talk to it over HTTP. */
export interface OAuthTestServer {
  url: string
  rootToken: string
  app: Scopeward
  dbPath: string
  close(): Promise<void>
}

/** Starts a server on a fresh database (or on `options.dbPath`, kept on close), with `env` settings and an optional clock. */
export async function startServer(env: Record<string, string> = {}, options: { dbPath?: string; clock?: Clock } = {}): Promise<OAuthTestServer> {
  // SCOPEWARD_TEST_DB=postgres: a fresh PostgreSQL database per server instead of a SQLite file.
  const pgDatabase = !options.dbPath && process.env.SCOPEWARD_TEST_DB === 'postgres' ? await createTestDatabase() : null
  const dir = options.dbPath || pgDatabase ? null : mkdtempSync(join(tmpdir(), 'scopeward-oauth-'))
  const dbPath = options.dbPath ?? pgDatabase?.url ?? join(dir as string, 'test.db')
  // These tests send many refused credentials from one address on purpose: rate limits are another suite's subject.
  const unlimited = { SCOPEWARD_AUTH_FAILURES_PER_MINUTE: '1000000', SCOPEWARD_TOKEN_REQUESTS_PER_MINUTE: '1000000' }
  const config = loadConfig({ db: dbPath, port: '0', host: '127.0.0.1' }, { ...unlimited, ...env })
  const app = await createScopeward(config, { logger: createLogger('silent'), ...(options.clock ? { clock: options.clock } : {}) })
  assert.ok(app.rootToken || options.dbPath, 'a fresh database yields a root token')
  const address = await app.http.listen(0, '127.0.0.1')
  return {
    url: `http://127.0.0.1:${address.port}`,
    rootToken: app.rootToken ?? '',
    app,
    dbPath,
    async close() {
      await app.close()
      if (dir) rmSync(dir, { recursive: true, force: true })
      if (pgDatabase) await pgDatabase.drop()
    },
  }
}

export interface GraphQLAnswer {
  status: number
  headers: Headers
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] }
}

export async function gql(server: OAuthTestServer, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLAnswer['body'] }
}

/** Runs a GraphQL operation that must succeed, returning its data. */
export async function gqlData(server: OAuthTestServer, token: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const answer = await gql(server, token, query, variables)
  assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors))
  return answer.body.data
}

export interface FormAnswer {
  status: number
  headers: Headers
  body: any
}

/** POSTs an application/x-www-form-urlencoded body (or a raw body with the given content type). */
export async function postForm(server: OAuthTestServer, path: string, params: Record<string, string> | string, headers: Record<string, string> = {}): Promise<FormAnswer> {
  const body = typeof params === 'string' ? params : new URLSearchParams(params).toString()
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: kept as text for the assertion to show
  }
  return { status: res.status, headers: res.headers, body: parsed }
}

/** RFC 6749 §2.3.1 Basic credentials: each part form-urlencoded, then base64. */
export function basic(clientId: string, secret: string): Record<string, string> {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  return { authorization: `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}` }
}

/** Creates an app with `allowedScopes` and a client secret for it, as the root token. */
export async function createClient(server: OAuthTestServer, name: string, allowedScopes: string[]): Promise<{ appId: string; secretId: string; secret: string }> {
  const created = await gqlData(server, server.rootToken, 'mutation($input: CreateAppInput!) { createApp(input: $input) { id } }', { input: { name, allowedScopes } })
  const appId = created.createApp.id as string
  const issued = await gqlData(server, server.rootToken, 'mutation($appId: ID!) { createClientSecret(appId: $appId) { id secret } }', { appId })
  return { appId, secretId: issued.createClientSecret.id, secret: issued.createClientSecret.secret }
}

/** A JWT from client_credentials. */
export async function clientCredentialsJwt(server: OAuthTestServer, client: { appId: string; secret: string }, scope: string): Promise<string> {
  const answer = await postForm(server, '/oauth/token', { grant_type: 'client_credentials', scope }, basic(client.appId, client.secret))
  assert.equal(answer.status, 200, JSON.stringify(answer.body))
  return answer.body.access_token as string
}

/** Introspects `token` as the root app's bearer token. */
export async function introspect(server: OAuthTestServer, token: string): Promise<any> {
  const answer = await postForm(server, '/oauth/introspect', { token }, { authorization: `Bearer ${server.rootToken}` })
  assert.equal(answer.status, 200, JSON.stringify(answer.body))
  return answer.body
}

/** Sends `token` as the bearer of a trivial query; the status tells whether it authenticated. */
export async function graphqlStatus(server: OAuthTestServer, token: string): Promise<number> {
  return (await gql(server, token, '{ viewer { id } }')).status
}
