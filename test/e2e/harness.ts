// Black-box harness: starts the real server on a random port with a fresh SQLite database (or, with
// SCOPEWARD_TEST_DB=postgres, a fresh PostgreSQL one) and talks HTTP to it as a client would. The clock is passed in, so tests move time without sleeping.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { createScopeward, type Scopeward } from '../../src/scopeward.js'
import Database from 'better-sqlite3'
import pg from 'pg'
import { createTestDatabase } from '../store/fresh-pg-database.js'

export interface GraphQLResult {
  status: number
  headers: Headers
  body: { data?: any; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] }
}

export interface TestServer {
  url: string
  dbPath: string
  rootToken: string
  app: Scopeward
  /** Every log line the server wrote. */
  logs: string[]
  /** Moves the server's clock forward. */
  advance(ms: number): void
  /** `token`: absent or undefined sends the root token (callers pass an optional token through); null sends none. */
  gql(query: string, options?: { token?: string | null | undefined; variables?: Record<string, unknown>; headers?: Record<string, string> }): Promise<GraphQLResult>
  /**
   * `fetch(url + path, init)` without a socket: the request goes through the same routes, hooks
   * and answers in process (Fastify inject), from 127.0.0.1. For tests of answers, not of connections.
   */
  request(path: string, init?: RequestInit): Promise<Response>
  stop(): Promise<void>
  /** Removes the database of a server started with `keep` (after it stopped). */
  discard(): Promise<void>
}

/**
 * Starts a server on a fresh database, or on `dbPath` (a restart: the root token is then null, so
 * pass `rootToken` on). `keep` leaves the database in place when the server stops.
 */
export async function startServer(options: { env?: Record<string, string>; dbPath?: string; rootToken?: string; keep?: boolean; offset?: number } = {}): Promise<TestServer> {
  // SCOPEWARD_TEST_DB=postgres: the same suite on a fresh PostgreSQL database per server (dbPath is then its URL).
  const pgDatabase = !options.dbPath && process.env.SCOPEWARD_TEST_DB === 'postgres' ? await createTestDatabase() : null
  const dir = options.dbPath || pgDatabase ? null : mkdtempSync(join(tmpdir(), 'scopeward-test-'))
  const dbPath = options.dbPath ?? pgDatabase?.url ?? join(dir as string, 'scopeward.db')
  const logs: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      done()
    },
  })
  let offset = options.offset ?? 0
  const clock = () => Date.now() + offset
  // The failed-authentication throttle and the per-address connection cap are tested on their own;
  // elsewhere they would couple tests that refuse many tokens or race many requests from 127.0.0.1.
  const config = loadConfig({ db: dbPath, port: '0' }, { SCOPEWARD_AUTH_FAILURES_PER_MINUTE: '1000000', SCOPEWARD_MAX_CONNECTIONS_PER_ADDRESS: '1000000', ...options.env })
  const app = await createScopeward(config, { logger: createLogger('info', sink), clock })
  const address = await app.http.listen(0, '127.0.0.1')
  const url = `http://127.0.0.1:${address.port}`
  const rootToken = (app.rootToken ?? options.rootToken) as string
  const discard = async (): Promise<void> => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    if (pgDatabase) await pgDatabase.drop()
  }
  return {
    url,
    dbPath,
    rootToken,
    app,
    logs,
    advance: (ms) => {
      offset += ms
    },
    async gql(query, opts = {}) {
      const token = opts.token === undefined ? rootToken : opts.token
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers },
        body: JSON.stringify({ query, variables: opts.variables }),
      })
      const text = await res.text()
      return { status: res.status, headers: res.headers, body: JSON.parse(text) }
    },
    request: (path, init) => injectFetch(app, path, init),
    async stop() {
      await app.close()
      if (!options.keep) await discard()
    },
    discard,
  }
}

/** A fetch Response for a request injected into the server (string bodies only: what these tests send). */
async function injectFetch(app: Scopeward, path: string, init: RequestInit = {}): Promise<Response> {
  if (init.body !== undefined && init.body !== null && typeof init.body !== 'string') throw new TypeError('request(): string bodies only')
  const headers = Object.fromEntries(new Headers(init.headers).entries())
  const res = await app.http.inject({ method: (init.method ?? 'GET') as 'GET', url: path, headers, ...(typeof init.body === 'string' ? { payload: init.body } : {}) })
  const out = new Headers()
  for (const [key, value] of Object.entries(res.headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) out.append(key, String(v))
  }
  // A Response may not carry a body with 204 or 304.
  const body = res.statusCode === 204 || res.statusCode === 304 ? null : res.rawPayload
  return new Response(body, { status: res.statusCode, headers: out })
}

/** Runs SQL directly on a server's database (SQLite file or PostgreSQL URL): to tamper as an attacker holding it would. */
export async function runSql(dbPath: string, text: string): Promise<void> {
  if (dbPath.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: dbPath })
    await client.connect()
    try {
      await client.query(text)
    } finally {
      await client.end()
    }
    return
  }
  const db = new Database(dbPath)
  try {
    db.exec(text)
  } finally {
    db.close()
  }
}

/**
 * Everything the database holds, as text: the SQLite file and its WAL (bytes as latin1), or every
 * row of every table of a PostgreSQL database. For "no secret at rest" checks.
 */
export async function databaseText(dbPath: string): Promise<string> {
  if (!dbPath.startsWith('postgres')) return databaseBytes(dbPath)
  const client = new pg.Client({ connectionString: dbPath })
  await client.connect()
  try {
    const tables = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    let out = ''
    for (const { tablename } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT x::text AS row FROM "${tablename}" x`)
      out += rows.rows.map((r) => r.row).join('\n')
    }
    return out
  } finally {
    await client.end()
  }
}

/** The database file and its WAL, as bytes decoded as latin1: for "no secret on disk" checks. */
export function databaseBytes(dbPath: string): string {
  let out = ''
  for (const suffix of ['', '-wal']) {
    try {
      out += readFileSync(dbPath + suffix).toString('latin1')
    } catch {
      // no WAL file yet
    }
  }
  return out
}

/** The data of a successful GraphQL response, or a failure naming the errors. */
export function dataOf(result: GraphQLResult): any {
  if (result.body.errors?.length) throw new Error(`unexpected errors (HTTP ${result.status}): ${JSON.stringify(result.body.errors)}`)
  return result.body.data
}

export function errorCodes(result: GraphQLResult): string[] {
  return (result.body.errors ?? []).map((e) => e.extensions?.code as string)
}

export const ISSUE = `mutation Issue($input: IssueTokenInput!) { issueToken(input: $input) { secret token { id name scopes status expiresAt subject app { id } parent { id } } } }`
export const CREATE_APP = `mutation CreateApp($input: CreateAppInput!) { createApp(input: $input) { id name allowedScopes maxTokenLifetime } }`
export const DERIVE = `mutation Derive($input: DeriveTokenInput!) { deriveToken(input: $input) { secret token { id scopes expiresAt parent { id } } } }`
export const REVOKE = `mutation Revoke($id: ID!, $reason: String) { revokeToken(id: $id, reason: $reason) { id status revokedAt revokeReason } }`
export const ROTATE = `mutation Rotate($id: ID!, $grace: Duration) { rotateToken(id: $id, gracePeriod: $grace) { secret token { id status expiresAt } } }`

/** Issues a token through the API with `token` (default: root) and returns its secret and id. */
export async function issue(server: TestServer, input: Record<string, unknown>, token?: string): Promise<{ secret: string; id: string; token: any }> {
  const data = dataOf(await server.gql(ISSUE, { token, variables: { input: { name: 'test', ...input } } }))
  return { secret: data.issueToken.secret, id: data.issueToken.token.id, token: data.issueToken.token }
}

let appNumber = 0

export async function createApp(server: TestServer, input: Record<string, unknown>, token?: string): Promise<any> {
  // App names are unique: each app gets its own unless the test names it.
  return dataOf(await server.gql(CREATE_APP, { token, variables: { input: { name: `app-${++appNumber}`, ...input } } })).createApp
}

/** Rows of the audit log: to prove a refusal wrote nothing. */
export async function auditCount(server: TestServer): Promise<number> {
  return server.app.store.countAuditEvents({})
}

export async function tokenCount(server: TestServer): Promise<number> {
  return server.app.store.countTokens({ now: Date.now() })
}
