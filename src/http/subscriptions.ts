// GraphQL subscriptions over WebSocket (the graphql-ws protocol, subprotocol graphql-transport-ws)
// on /graphql: the upgrade meets the HTTP front's rules (trusted-proxy client address, allowed
// origins, the failed-authentication throttle) plus per-address and per-token socket limits; the
// token comes in connection_init and is checked again on a timer and on each event about it, and a
// socket whose token is revoked, expires or loses a scope its operations need is closed with 4403
// (docs/subscriptions.md).
import { randomUUID } from 'node:crypto'
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { GraphQLError, type GraphQLFormattedError } from 'graphql'
import { useServer } from 'graphql-ws/use/ws'
import { WebSocketServer, type WebSocket } from 'ws'
import { parseBearer } from '../auth/credentials.js'
import type { RateLimiter } from '../auth/rate-limiter.js'
import { authenticate, type AuthFailure } from '../domain/authenticate.js'
import type { Domain, Principal } from '../domain/context.js'
import { recheckPrincipal } from '../domain/recheck-principal.js'
import type { TokenEventFeed } from '../domain/token-event-feed.js'
import type { TokenEvent } from '../domain/token-events.js'
import { createGraphQLContext } from '../graphql/context.js'
import { deniedFields, prepareLiveOperation, type LiveOperation, type LiveOperationPolicy } from '../graphql/live-operation.js'
import type { LiveContext } from '../graphql/subscription-resolvers.js'
import type { Logger } from '../logger.js'
import type { SubscriptionSettings } from '../config.js'
import { trustedProxyTest } from './trusted-proxies.js'
import { upgradeClientAddress } from './upgrade-address.js'

/** graphql-ws close codes (its CloseCode enum) and ours beside them. */
export const CLOSE = {
  /** connection_init without a valid token. */
  unauthorized: 4401,
  /** The token was revoked, expired, its app disabled, or it lost a scope a running operation needs. */
  forbidden: 4403,
  /** Past SCOPEWARD_SUBSCRIPTIONS_PER_TOKEN open sockets for this token. */
  tooMany: 4429,
  /** The server is shutting down. */
  goingAway: 1001,
} as const

/** Operations one socket may run at once: each is a listener on the feed. */
export const MAX_OPERATIONS_PER_SOCKET = 10

export interface SubscriptionServerOptions extends LiveOperationPolicy {
  domain: Domain
  feed: TokenEventFeed
  logger: Logger
  settings: SubscriptionSettings
  trustedProxies: ReadonlySet<string>
  corsOrigins: ReadonlySet<string>
  /** The HTTP front's failed-authentication throttle: a refused connection_init spends from it, a spent address is refused at the upgrade. */
  authFailureLimiter?: RateLimiter | undefined
  /** Counts a refusal as the HTTP front does (the server's counters). */
  onAuthFailure: (reason: AuthFailure) => void
  /** Apollo's formatError (src/graphql/format-error.ts): the same masking over WebSocket. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError
  /** Largest message accepted (the HTTP body limit). */
  maxPayloadBytes: number
}

/** One socket: who it authenticated as, and what it runs. */
interface Connection {
  readonly id: string
  readonly ip: string | null
  readonly socket: WebSocket
  readonly logger: Logger
  principal: Principal | null
  readonly operations: Map<string, { operation: LiveOperation; context: LiveContext }>
  /** Rechecks and deliveries, in order. */
  chain: Promise<void>
  /** The event batch last checked against this socket's token (several operations share a batch). */
  checked: readonly TokenEvent[] | null
  closed: boolean
}

export interface SubscriptionServer {
  /** Closes every socket (1001) and stops accepting upgrades; resolves once the sockets are gone. */
  close(): Promise<void>
}

/** Attaches the WebSocket endpoint to the Node server under the HTTP front: the one hook in src/scopeward.ts. */
export function attachSubscriptions(server: Server, options: SubscriptionServerOptions): SubscriptionServer {
  const { domain, settings, logger } = options
  const isTrustedProxy = trustedProxyTest(options.trustedProxies)
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes })
  const connections = new Map<WebSocket, Connection>()
  const perAddress = new Map<string, number>()
  const perToken = new Map<string, number>()
  let closing = false

  const forbid = (conn: Connection, why: string): void => {
    if (conn.closed) return
    conn.closed = true
    conn.logger.info({ tokenId: conn.principal?.token.id, why }, 'subscription socket closed: forbidden')
    conn.socket.close(CLOSE.forbidden, 'Forbidden')
  }

  /** The token as it is now; closes the socket if it may no longer run what it runs. */
  const recheck = async (conn: Connection): Promise<void> => {
    if (conn.closed || conn.principal === null) return
    const result = await recheckPrincipal(domain, conn.principal.token.id)
    if (!result.ok) return forbid(conn, result.reason)
    conn.principal = result.principal
    for (const { operation, context } of conn.operations.values()) {
      context.principal = result.principal
      const fresh = createGraphQLContext({ domain, principal: result.principal, request: context.request, schema: options.schema })
      if (deniedFields(options.schema, operation, fresh).length > 0) return forbid(conn, 'scope lost')
    }
  }
  const enqueue = (conn: Connection, step: () => Promise<void> | void): void => {
    conn.chain = conn.chain.then(step).catch((err: unknown) => {
      conn.logger.error({ err }, 'subscription recheck failed')
      forbid(conn, 'recheck failed')
    })
  }
  const timer = setInterval(() => {
    for (const conn of connections.values()) if (conn.principal !== null && !conn.closed) enqueue(conn, () => recheck(conn))
  }, settings.recheckMs)
  timer.unref()

  /** Whether a batch of events may concern the socket's own token (its revocation, its app disabled): checked before delivery. */
  const touches = (conn: Connection, events: readonly TokenEvent[]): boolean => {
    const own = conn.principal
    return own !== null && events.some((e) => e.data.tokenId === own.token.id || (e.data.tokenId === null && e.data.appId === own.app.id))
  }

  const liveContext = (conn: Connection, principal: Principal): LiveContext => ({
    ...createGraphQLContext({ domain, principal, request: { requestId: conn.id, ip: conn.ip }, schema: options.schema }),
    tokenEvents: {
      listen: (listener) =>
        options.feed.listen((events) =>
          enqueue(conn, async () => {
            if (conn.checked !== events && touches(conn, events)) await recheck(conn)
            conn.checked = events
            if (!conn.closed) listener(events)
          }),
        ),
    },
  })

  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] => errors.map((e) => options.formatError(e.toJSON(), e))

  useServer<Record<string, unknown> | undefined, { socket: WebSocket; request: IncomingMessage }>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        const conn = connections.get(ctx.extra.socket)
        if (!conn) return false
        const presented = credentialOf(ctx.connectionParams)
        const result =
          presented === null
            ? ({ ok: false, reason: 'malformed' } as const)
            : await authenticate(domain, presented, { ip: conn.ip, requestId: conn.id, method: 'GET', path: '/graphql' })
        if (!result.ok) {
          options.onAuthFailure(result.reason)
          conn.logger.info({ reason: result.reason, ip: conn.ip }, 'authentication refused')
          if (conn.ip !== null && options.authFailureLimiter) {
            void Promise.resolve(options.authFailureLimiter.take(conn.ip)).catch((err: unknown) => conn.logger.error({ err }, 'rate limiter failed'))
          }
          conn.closed = true
          conn.socket.close(CLOSE.unauthorized, 'Unauthorized')
          return false
        }
        const tokenId = result.principal.token.id
        const open = perToken.get(tokenId) ?? 0
        if (open >= settings.perToken) {
          conn.closed = true
          conn.socket.close(CLOSE.tooMany, `Too many subscription sockets for this token (${settings.perToken})`)
          return false
        }
        perToken.set(tokenId, open + 1)
        conn.principal = result.principal
        domain.usage.touch(tokenId)
        conn.logger.info({ tokenId, ip: conn.ip }, 'subscription socket authenticated')
        return true
      },
      onSubscribe: (ctx, id, payload) => {
        const conn = connections.get(ctx.extra.socket)
        if (!conn?.principal || conn.closed) return [new GraphQLError('a token is required', { extensions: { code: 'UNAUTHENTICATED' } })]
        if (conn.operations.size >= MAX_OPERATIONS_PER_SOCKET) {
          return [new GraphQLError(`at most ${MAX_OPERATIONS_PER_SOCKET} operations run at once on one socket`, { extensions: { code: 'RATE_LIMITED' } })]
        }
        const context = liveContext(conn, conn.principal)
        const prepared = prepareLiveOperation(options, payload, context)
        if (!('document' in prepared)) return prepared
        conn.operations.set(id, { operation: prepared, context })
        return { schema: options.schema, document: prepared.document, operationName: prepared.operationName, variableValues: prepared.variableValues, contextValue: context }
      },
      onComplete: (ctx, id) => {
        connections.get(ctx.extra.socket)?.operations.delete(id)
      },
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { data: result.data ?? null, errors: format(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    wss,
  )

  const release = (conn: Connection): void => {
    conn.closed = true
    connections.delete(conn.socket)
    if (conn.ip !== null) {
      const left = (perAddress.get(conn.ip) ?? 1) - 1
      if (left > 0) perAddress.set(conn.ip, left)
      else perAddress.delete(conn.ip)
    }
    const tokenId = conn.principal?.token.id
    if (tokenId !== undefined) {
      const left = (perToken.get(tokenId) ?? 1) - 1
      if (left > 0) perToken.set(tokenId, left)
      else perToken.delete(tokenId)
    }
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy())
    const path = (req.url ?? '/').split('?')[0]
    if (path !== '/graphql') return refuse(socket, 404, 'not_found', `no WebSocket endpoint at ${path === undefined ? '/' : path.slice(0, 100)}`)
    if (closing) return refuse(socket, 503, 'unavailable', 'the server is shutting down')
    // Browsers do not apply CORS to WebSockets: a page of any site could open one (cross-site WebSocket hijacking), so the server checks the Origin.
    const origin = req.headers.origin
    if (origin !== undefined && !options.corsOrigins.has(origin) && !sameOrigin(origin, req.headers.host)) {
      return refuse(socket, 403, 'forbidden_origin', 'this Origin may not open a WebSocket here (SCOPEWARD_CORS_ORIGINS)')
    }
    const ip = upgradeClientAddress(req, isTrustedProxy)
    const admit = (wait: number): void => {
      if (wait > 0) return refuse(socket, 429, 'rate_limited', 'too many failed authentications from this address', { 'retry-after': String(Math.ceil(wait / 1000)) })
      if (ip !== null && (perAddress.get(ip) ?? 0) >= settings.perAddress) {
        return refuse(socket, 429, 'rate_limited', `too many subscription sockets from this address (${settings.perAddress})`)
      }
      if (ip !== null) perAddress.set(ip, (perAddress.get(ip) ?? 0) + 1)
      wss.handleUpgrade(req, socket, head, (ws) => {
        const id = randomUUID()
        const conn: Connection = {
          id,
          ip,
          socket: ws,
          logger: logger.child({ connectionId: id }),
          principal: null,
          operations: new Map(),
          chain: Promise.resolve(),
          checked: null,
          closed: false,
        }
        connections.set(ws, conn)
        ws.once('close', () => release(conn))
        wss.emit('connection', ws, req)
      })
    }
    const limiter = options.authFailureLimiter
    const wait = limiter && ip !== null ? limiter.retryAfter(ip) : 0
    if (typeof wait === 'number') return admit(wait)
    wait.then(admit, (err: unknown) => {
      logger.error({ err }, 'rate limiter failed')
      admit(0)
    })
  }
  server.on('upgrade', onUpgrade)

  return {
    async close() {
      closing = true
      clearInterval(timer)
      const gone = [...connections.keys()].map((ws) => new Promise<void>((done) => (ws.readyState === ws.CLOSED ? done() : ws.once('close', () => done()))))
      for (const ws of connections.keys()) ws.close(CLOSE.goingAway, 'Server shutting down')
      // A client that never answers the close frame is cut off rather than holding up the drain.
      const cutoff = setTimeout(() => {
        for (const ws of connections.keys()) ws.terminate()
      }, 1000)
      await Promise.all(gone)
      clearTimeout(cutoff)
      options.feed.stop()
      server.off('upgrade', onUpgrade)
      await new Promise<void>((done) => wss.close(() => done()))
    },
  }
}

/** The token of a connection_init payload: `{ authorization: "Bearer …" }` or `{ token: "…" }`; null when neither is one well-formed token. */
function credentialOf(params: Readonly<Record<string, unknown>> | undefined): string | null {
  if (params?.authorization !== undefined) return typeof params.authorization === 'string' ? (parseBearer(params.authorization) ?? null) : null
  return typeof params?.token === 'string' && params.token !== '' ? params.token : null
}

/** A page served from this very host (the console) is no cross-site request. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`)
}

/** Answers an upgrade with an HTTP error and closes the socket: no WebSocket is opened. */
function refuse(socket: Duplex, status: number, error: string, description: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error, error_description: description })
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'Connection: close', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`]
  for (const [key, value] of Object.entries(headers)) lines.push(`${key}: ${value}`)
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`)
}
