import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { AuthFailure } from '../domain/authenticate.js'
import { answerFor, graphqlErrorBody, oauthErrorBody } from '../error-responses.js'
import { RateLimited } from '../errors.js'
import { sendJson } from './respond.js'
import type { Route, RouteContext } from './route.js'
import type { Metrics } from '../metrics.js'
import { clientAddress, normalize } from './client-address.js'
import type { RateLimiter } from '../auth/rate-limiter.js'
import { redactSecrets } from '../text.js'

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/
/** Routes that authenticate a credential: the ones the failed-authentication throttle guards. */
const AUTHENTICATING = /^\/(graphql|oauth\/)/

/**
 * The HTTP front: a table of routes keyed by "METHOD /path", request ids, one log line per
 * request, and an error boundary that never lets a stack trace or a 5xx detail reach a client.
 */
export class HttpServer {
  readonly #routes = new Map<string, Route>()
  readonly #server: Server
  readonly #inFlight = new Set<ServerResponse>()
  /** Open connections per client address. */
  readonly #connections = new Map<string, number>()

  constructor(
    private readonly base: Pick<RouteContext, 'domain' | 'logger' | 'bodyLimitBytes'> & {
      onAuthFailure: (reason: AuthFailure) => void
      trustedProxies?: ReadonlySet<string>
      corsOrigins?: ReadonlySet<string>
      /** Throttles failed authentications per client address (429 with Retry-After once spent). */
      authFailureLimiter?: RateLimiter
      tokenLimiter?: RateLimiter
      metrics?: Metrics
      /** Default 10 s. */
      headersTimeoutMs?: number
      /** Default 100; connections from trusted proxies are not counted (they carry many clients). */
      maxConnectionsPerAddress?: number
    },
  ) {
    const headersTimeout = base.headersTimeoutMs ?? 10_000
    this.#server = createServer(
      {
        requestTimeout: 30_000,
        headersTimeout,
        // Node enforces both timeouts on a sweep of every connection, by default each 30 s: a 10 s
        // header timeout would really be 10-40 s, long enough for slow-header clients to pile up.
        connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 2)),
      },
      (req, res) => void this.#handle(req, res),
    )
    this.#server.keepAliveTimeout = 5_000
    this.#server.on('connection', (socket: Socket) => this.#admit(socket))
  }

  /** Past the cap of open connections per client address, a new one is closed before any byte is read. */
  #admit(socket: Socket): void {
    const address = normalize(socket.remoteAddress ?? null)
    if (address === null || this.base.trustedProxies?.has(address)) return
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

  route(method: string, path: string, handler: Route): this {
    this.#routes.set(`${method} ${path}`, handler)
    return this
  }

  /** The address listened on, once listening: the default issuer is derived from it. */
  get address(): AddressInfo | null {
    const address = this.#server.address()
    return address !== null && typeof address === 'object' ? address : null
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, host, () => resolve())
    })
    return this.#server.address() as AddressInfo
  }

  /** Stops accepting, lets in-flight requests finish (up to `timeoutMs`), then closes idle connections. */
  async close(timeoutMs = 8000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeIdleConnections()
    const deadline = Date.now() + timeoutMs
    while (this.#inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    this.#server.closeAllConnections()
    await closed
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint()
    const header = req.headers['x-request-id']
    const requestId = typeof header === 'string' && REQUEST_ID_RE.test(header) ? header : randomUUID()
    res.setHeader('x-request-id', requestId)
    this.#inFlight.add(res)
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      url = new URL('http://localhost/')
    }
    const ip = clientAddress(req, this.base.trustedProxies ?? new Set())
    const limiter = this.base.authFailureLimiter
    const rc: RouteContext = {
      ...this.base,
      url,
      requestId,
      ip,
      principal: null,
      logger: this.base.logger,
      onAuthFailure: (reason) => {
        this.base.onAuthFailure(reason)
        this.base.metrics?.authFailures.inc({ reason })
        // Spent in the background: the refusal is answered without waiting on a shared backend.
        if (ip !== null && limiter) void Promise.resolve(limiter.take(ip)).catch((err: unknown) => rc.logger.error({ err }, 'rate limiter failed'))
      },
    }
    const key = `${req.method} ${url.pathname}`
    const route = this.#routes.get(key)
    try {
      if (this.#cors(req, res, url.pathname)) return
      if (route && limiter && ip !== null && AUTHENTICATING.test(url.pathname)) {
        const wait = await limiter.retryAfter(ip)
        if (wait > 0) {
          this.base.metrics?.rateLimited.inc({ limiter: 'auth_failures' })
          const answer = answerFor(new RateLimited(wait, 'too many failed authentications from this address'))
          return sendJson(res, answer.status, oauthErrorBody(answer), answer.headers)
        }
      }
      if (route) await route(req, res, rc)
      else if ([...this.#routes.keys()].some((k) => k.endsWith(` ${url.pathname}`))) sendJson(res, 405, { error: 'method_not_allowed', error_description: `${req.method} is not allowed on ${redactSecrets(url.pathname)}` })
      else sendJson(res, 404, { error: 'not_found', error_description: `no route ${redactSecrets(url.pathname)}` })
    } catch (error) {
      this.#fail(res, rc, error)
    } finally {
      this.#inFlight.delete(res)
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const label = route ? url.pathname : 'unknown'
      this.base.metrics?.requests.inc({ route: label, status: String(res.statusCode) })
      this.base.metrics?.latency.observe({ route: label }, ms / 1000)
      rc.logger.info({ requestId, method: req.method, path: route ? url.pathname : redactSecrets(url.pathname), status: res.statusCode, ms: Math.round(ms * 100) / 100, tokenId: rc.principal?.token.id, ip }, 'request')
    }
  }

  /**
   * CORS, off unless origins are configured: an allowed origin gets the CORS headers, and its
   * preflight is answered here (true = answered). Credentials travel in the Authorization header, never cookies.
   */
  #cors(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const origin = req.headers.origin
    const allowed = origin !== undefined && (this.base.corsOrigins?.has(origin) ?? false)
    if (allowed) {
      res.setHeader('access-control-allow-origin', origin)
      res.setHeader('vary', 'Origin')
      res.setHeader('access-control-expose-headers', 'x-request-id, x-oauth-scopes, x-accepted-oauth-scopes, www-authenticate, retry-after')
    }
    if (req.method !== 'OPTIONS') return false
    if (allowed && [...this.#routes.keys()].some((k) => k.endsWith(` ${path}`))) {
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

  #fail(res: ServerResponse, rc: RouteContext, error: unknown): void {
    if (res.headersSent) {
      res.destroy()
      return
    }
    const answer = answerFor(error)
    if (!answer.expected) rc.logger.error({ requestId: rc.requestId, err: error, code: answer.logCode }, 'unhandled error')
    sendJson(res, answer.status, graphqlErrorBody(answer), answer.headers)
  }
}
