import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { AddressInfo, Socket } from 'node:net'
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type InjectOptions, type LightMyRequestResponse } from 'fastify'
import type { AuthFailure } from '../domain/authenticate.js'
import { answerFor, graphqlErrorBody, oauthErrorBody } from '../error-responses.js'
import { RateLimited } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { redactSecrets } from '../text.js'
import { OAuthError, sendOAuthError } from './oauth-error.js'
import type { RateLimiter } from '../auth/rate-limiter.js'
import { BodyError } from './read-body.js'
import { FORM_LIMIT_BYTES } from './read-form.js'
import { sendJson } from './respond.js'
import { RequestContext } from './request-context.js'
import type { Route, RouteContext, RouteOptions } from './route.js'
import { trustedProxyTest, unmapped, type ProxyTest } from './trusted-proxies.js'

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/
/** Routes that authenticate a credential: the ones the failed-authentication throttle guards. */
const AUTHENTICATING = /^\/(graphql|oauth\/|v1\/)/

export interface HttpServerOptions extends Pick<RouteContext, 'domain' | 'logger' | 'bodyLimitBytes' | 'tokenLimiter'> {
  /** Counts a refusal (the server logs it on the request's logger and feeds the throttle). */
  onAuthFailure: (reason: AuthFailure) => void
  /** Addresses and CIDR ranges whose X-Forwarded-For is believed. */
  trustedProxies?: ReadonlySet<string>
  corsOrigins?: ReadonlySet<string>
  /** Throttles failed authentications per client address (429 with Retry-After once spent). */
  authFailureLimiter?: RateLimiter
  metrics?: Metrics
  /** Default 10 s. */
  headersTimeoutMs?: number
  /** Default 100; connections from trusted proxies are not counted (they carry many clients). */
  maxConnectionsPerAddress?: number
}

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's route context, made in onRequest. */
    rc: RouteContext
    /** performance.now() at onRequest, for the latency histogram and the access log. */
    startedAt: number
    /** The matched route (null: no route matched), set by the route's own onRequest hook. */
    routeMeta: RouteMeta | null
    /** The access line is written (once, whichever of response or error path gets there first). */
    accessLogged: boolean
  }
}

/** What the server needs to know of a matched route on every request (read once, at registration). */
interface RouteMeta {
  /** The path pattern as registered: the metrics label (bounded, whatever clients send). */
  readonly label: string
  /** The label is the path itself (no parameters): the access line logs it as is. */
  readonly fixed: boolean
  readonly form: boolean
  /** The route authenticates a credential: the failed-authentication throttle guards it. */
  readonly throttled: boolean
}

/** The path of a request target, without its query. */
function pathOf(target: string): string {
  const query = target.indexOf('?')
  return query < 0 ? target : target.slice(0, query)
}

/**
 * The HTTP front, on Fastify: routes (with path parameters), request ids, one access log line
 * per request on a request logger, security headers, CORS, the failed-authentication throttle,
 * a per-address connection cap, graceful drain, and an error boundary that never lets a stack
 * trace or a 5xx detail reach a client. Route handlers write the Node response themselves: the
 * answers they send (headers, bodies) stay byte for byte what clients and tests know.
 */
export class HttpServer {
  readonly #app: FastifyInstance
  #server: Server | null = null
  /** Open connections per client address. */
  readonly #connections = new Map<string, number>()
  readonly #isTrustedProxy: ProxyTest
  /** The methods routes are registered for: where a 405 looks for the path. */
  readonly #methods = new Set<string>()
  /**
   * The access line's logger: the server's, without path redaction (its wildcard costs ~1.5 µs a
   * line, bench/log-cost.ts). Safe because the line holds only fields made safe before they get there:
   * a request id (checked or generated), a token id, the method, a fixed label or redacted path, numbers, an address.
   */
  readonly #accessLog: Logger

  constructor(private readonly base: HttpServerOptions) {
    const headersTimeout = base.headersTimeoutMs ?? 10_000
    this.#accessLog = base.logger.level === 'silent' ? base.logger : base.logger.child({}, { redact: { paths: [] } })
    const trusted = base.trustedProxies ?? new Set<string>()
    this.#isTrustedProxy = trustedProxyTest(trusted)
    const isTrustedProxy = this.#isTrustedProxy
    // Typed with Fastify's base logger: the instance is our pino logger.
    this.#app = Fastify({
      loggerInstance: base.logger,
      // Fastify's own two lines per request cost CPU and say less than ours: one line is logged on response (#logResponse).
      logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
      // No per-request child logger (binding one serialises its fields on every request): the access line names the
      // request id and token id itself, and the route context makes a bound child only when a request logs more (request-context.ts).
      childLoggerFactory: (logger) => logger,
      // A caller's id is kept when it is safe to echo and log; anything else gets a fresh one.
      genReqId: (req: IncomingMessage) => {
        const header = req.headers['x-request-id']
        return typeof header === 'string' && REQUEST_ID_RE.test(header) ? header : randomUUID()
      },
      // proxy-addr semantics: the right-most X-Forwarded-For hop that is not a trusted proxy. Without trusted proxies the header is ignored: anyone can write it.
      trustProxy: trusted.size > 0 ? (address: string) => isTrustedProxy(address) : false,
      bodyLimit: base.bodyLimitBytes,
      // A path that is not valid percent-encoding names no route: the same 404 as any unknown path (Fastify would answer its own 400 shape).
      frameworkErrors: (_error, request, reply) => {
        reply.hijack()
        reply.raw.setHeader('x-request-id', String(request.id))
        sendJson(reply.raw, 404, { error: 'not_found', error_description: `no route ${redactSecrets(pathOf(request.url))}` })
      },
      // HEAD and OPTIONS are not routes here: HEAD is 405 like any other method, OPTIONS is the CORS preflight.
      exposeHeadRoutes: false,
      // While draining, a request already on an open connection is answered as usual (with Connection: close) rather than by Fastify's own 503 shape.
      return503OnClosing: false,
      serverFactory: (handler) => {
        const server = createServer(
          {
            requestTimeout: 30_000,
            headersTimeout,
            // Node enforces both timeouts on a sweep of every connection, by default each 30 s: a 10 s
            // header timeout would really be 10-40 s, long enough for slow-header clients to pile up.
            connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 2)),
          },
          handler,
        )
        server.keepAliveTimeout = 5_000
        server.on('connection', (socket: Socket) => this.#admit(socket))
        this.#server = server
        return server
      },
    }) as unknown as FastifyInstance
    this.#app.decorateRequest('rc', null as unknown as RouteContext)
    this.#app.decorateRequest('startedAt', 0)
    this.#app.decorateRequest('routeMeta', null)
    this.#app.decorateRequest('accessLogged', false)
    // Every body is read as text within the route's limit; each route parses it as its protocol says (JSON for /graphql, RFC 6749 forms for OAuth).
    this.#app.removeAllContentTypeParsers()
    this.#app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body))
    this.#app.addHook('onRequest', (request, reply, done) => this.#onRequest(request, reply, done))
    this.#app.addHook('onResponse', (request, reply, done) => {
      this.#logResponse(request, reply)
      done()
    })
    this.#app.setNotFoundHandler((request, reply) => this.#notFound(request, reply))
    this.#app.setErrorHandler((error: FastifyError, request, reply) => this.#fail(request, reply, error))
  }

  /** Past the cap of open connections per client address, a new one is closed before any byte is read. */
  #admit(socket: Socket): void {
    const address = socket.remoteAddress ? unmapped(socket.remoteAddress) : null
    if (address === null || this.#isTrustedProxy(address)) return
    const open = this.#connections.get(address) ?? 0
    if (open >= (this.base.maxConnectionsPerAddress ?? 100)) {
      this.base.metrics?.rateLimited.inc({ limiter: 'connections' })
      socket.destroy()
      return
    }
    this.#connections.set(address, open + 1)
    socket.once('close', () => {
      const left = (this.#connections.get(address) ?? 1) - 1
      if (left > 0) this.#connections.set(address, left)
      else this.#connections.delete(address)
    })
  }

  /** Registers a route; `path` may hold parameters (`/things/:id`), handed to the route as `rc.params`. */
  route(method: string, path: string, handler: Route, options: RouteOptions = {}): this {
    const form = options.body === 'form'
    const meta: RouteMeta = { label: path, fixed: !path.includes(':'), form, throttled: AUTHENTICATING.test(path) }
    this.#methods.add(method)
    this.#app.route({
      method,
      url: path,
      onRequest: (request, reply, done) => this.#onRoutedRequest(request, reply, done, meta),
      // OAuth bodies are small (a token and a few parameters): a larger one is refused before it is buffered.
      ...(form ? { bodyLimit: FORM_LIMIT_BYTES } : {}),
      handler: async (request, reply) => {
        const rc = request.rc
        rc.params = request.params as Record<string, string>
        rc.body = typeof request.body === 'string' ? request.body : ''
        reply.hijack()
        try {
          await handler(request.raw, reply.raw, rc)
        } catch (error) {
          this.#answerError(request, reply, error)
        }
      },
    })
    return this
  }

  /** The Node server under Fastify (made with it): for what is not HTTP requests, the WebSocket upgrade of src/http/subscriptions.ts. */
  get nodeServer(): Server {
    return this.#server as Server
  }

  /** The address listened on, once listening: the default issuer is derived from it. */
  get address(): AddressInfo | null {
    const address = this.#server?.address()
    return address !== null && typeof address === 'object' ? address : null
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    await this.#app.listen({ port, host })
    return this.address as AddressInfo
  }

  /**
   * A request without a socket (light-my-request): the same routes, hooks and answers, for fast
   * tests. The client address is `remoteAddress` (default 127.0.0.1); the connection cap and the
   * header timeout, which belong to sockets, are not exercised.
   */
  async inject(options: InjectOptions | string): Promise<LightMyRequestResponse> {
    return this.#app.inject(options)
  }

  /**
   * Stops accepting, lets in-flight requests finish (up to `timeoutMs`), then closes what is left.
   * New connections are refused at once; a request already on an open connection is answered with Connection: close.
   */
  async close(timeoutMs = 8000): Promise<void> {
    const timer = setTimeout(() => this.#server?.closeAllConnections(), timeoutMs)
    try {
      await this.#app.close()
    } finally {
      clearTimeout(timer)
    }
  }

  /** Every request, routed or not: start time, request id header, the route context, CORS. */
  #onRequest(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    request.startedAt = performance.now()
    const requestId = String(request.id)
    reply.raw.setHeader('x-request-id', requestId)
    request.rc = new RequestContext(this.base, requestId, request.ip ? unmapped(request.ip) : null, request.raw.url, reply.raw)
    if (this.#cors(request, reply)) reply.hijack()
    done()
  }

  /**
   * A routed request (after #onRequest): which route it is, for the access line and the body
   * errors, and the failed-authentication throttle on the routes that authenticate.
   */
  #onRoutedRequest(request: FastifyRequest, reply: FastifyReply, done: () => void, meta: RouteMeta): void {
    request.routeMeta = meta
    const limiter = this.base.authFailureLimiter
    const rc = request.rc
    const ip = rc.ip
    if (!meta.throttled || !limiter || ip === null) return done()
    const wait = limiter.retryAfter(ip)
    // The in-memory limiter answers at once; a shared backend answers later (and, failing, lets the request through: fail open, logged).
    if (typeof wait === 'number') {
      if (wait > 0) this.#throttled(reply, wait)
      return done()
    }
    wait.then(
      (w) => (w > 0 && this.#throttled(reply, w), done()),
      (err: unknown) => (rc.logger.error({ err }, 'rate limiter failed'), done()),
    )
  }

  /** 429 with Retry-After: this address spent its failed authentications. */
  #throttled(reply: FastifyReply, wait: number): void {
    this.base.metrics?.rateLimited.inc({ limiter: 'auth_failures' })
    reply.hijack()
    const answer = answerFor(new RateLimited(wait, 'too many failed authentications from this address'))
    sendJson(reply.raw, answer.status, oauthErrorBody(answer), answer.headers)
  }

  /** Whether any route, of any method, serves this request's path (as the router sees it, parameters included). */
  #hasPath(request: FastifyRequest): boolean {
    const path = pathOf(request.url)
    for (const method of this.#methods) if (this.#app.findRoute({ method, url: path }) !== null) return true
    return false
  }

  /**
   * CORS, off unless origins are configured: an allowed origin gets the CORS headers, and its
   * preflight is answered here (true = answered). Credentials travel in the Authorization header, never cookies.
   */
  #cors(request: FastifyRequest, reply: FastifyReply): boolean {
    const origin = request.headers.origin
    const res = reply.raw
    const allowed = origin !== undefined && (this.base.corsOrigins?.has(origin) ?? false)
    if (allowed) {
      res.setHeader('access-control-allow-origin', origin)
      res.setHeader('vary', 'Origin')
      res.setHeader(
        'access-control-expose-headers',
        'x-request-id, x-oauth-scopes, x-accepted-oauth-scopes, www-authenticate, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset',
      )
    }
    if (request.method !== 'OPTIONS') return false
    if (allowed && this.#hasPath(request)) {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name, x-request-id',
        'access-control-max-age': '600',
      })
    } else {
      res.writeHead(204)
    }
    res.end()
    return true
  }

  /** No route: 405 when the path exists with another method, 404 otherwise. The path is redacted: a token pasted into a URL is not echoed. */
  #notFound(request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack()
    const path = pathOf(request.url)
    if (this.#hasPath(request)) sendJson(reply.raw, 405, { error: 'method_not_allowed', error_description: `${request.method} is not allowed on ${redactSecrets(path)}` })
    else sendJson(reply.raw, 404, { error: 'not_found', error_description: `no route ${redactSecrets(path)}` })
  }

  /** Errors Fastify raises before a route runs (body limits, unreadable bodies, content types), and any a route lets escape. */
  #fail(request: FastifyRequest, reply: FastifyReply, error: FastifyError): void {
    reply.hijack()
    this.#answerError(request, reply, this.#asClientError(reply, error))
    // A client that went away never lets the answer finish, and Fastify logs on 'finish': log its request here.
    const socket = request.raw.socket as Socket | null
    if (socket === null || socket.destroyed) this.#logResponse(request, reply)
  }

  /** Fastify's refusals of a body in this server's terms: on OAuth routes an RFC 6749 invalid_request, elsewhere 413/400. */
  #asClientError(reply: FastifyReply, error: FastifyError): unknown {
    const form = reply.request.routeMeta?.form ?? false
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const message = `request body exceeds ${form ? FORM_LIMIT_BYTES : this.base.bodyLimitBytes} bytes`
      return form ? new OAuthError('invalid_request', message) : new BodyError(413, message)
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return form ? new OAuthError('invalid_request', 'the request body must be application/x-www-form-urlencoded') : new BodyError(400, 'the Content-Type header is not valid')
    }
    if (error.code?.startsWith('FST_ERR_CTP_') || (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)) {
      // The client went away mid-body, or sent a length it did not keep to: its mistake (a 4xx, logged as a request), not a server error.
      const message = 'the request body was cut off before its end'
      return form ? new OAuthError('invalid_request', message) : new BodyError(400, message)
    }
    return error
  }

  #answerError(request: FastifyRequest, reply: FastifyReply, error: unknown): void {
    const res = reply.raw
    if (res.headersSent) {
      res.destroy()
      return
    }
    if (error instanceof OAuthError) {
      request.raw.resume()
      return sendOAuthError(res, error)
    }
    const answer = answerFor(error)
    if (!answer.expected) (request.rc?.logger ?? request.log).error({ err: error, code: answer.logCode }, 'unhandled error')
    sendJson(res, answer.status, graphqlErrorBody(answer), answer.headers)
  }

  /** The one access log line of a request, and its metrics; an unknown path is one label, so clients cannot grow the label set. */
  #logResponse(request: FastifyRequest, reply: FastifyReply): void {
    if (request.accessLogged) return
    request.accessLogged = true
    const rc = request.rc as RequestContext | null
    const ms = performance.now() - request.startedAt
    const meta = request.routeMeta
    const label = meta?.label ?? 'unknown'
    const status = reply.raw.statusCode
    const metrics = this.base.metrics
    if (metrics) {
      metrics.requests.inc({ route: label, status: String(status) })
      metrics.latency.observe({ route: label }, ms / 1000)
    }
    const logger = this.#accessLog
    if (!rc || !logger.isLevelEnabled('info')) return
    // A fixed route logs its own path; a parameterised or unknown one the path sent, with any credential pasted into it cut.
    const path = meta?.fixed ? meta.label : redactSecrets(pathOf(request.url))
    logger.info({ requestId: rc.requestId, tokenId: rc.principal?.token.id, method: request.method, path, status, ms: Math.round(ms * 100) / 100, ip: rc.ip }, 'request')
  }
}
