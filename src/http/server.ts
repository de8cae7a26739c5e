import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AuthFailure } from '../domain/authenticate.js'
import { ERROR_STATUS, ScopewardError } from '../errors.js'
import { BodyError } from './read-body.js'
import { sendGraphQLError, sendJson } from './respond.js'
import type { Route, RouteContext } from './route.js'

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/

/**
 * The HTTP front: a table of routes keyed by "METHOD /path", request ids, one log line per
 * request, and an error boundary that never lets a stack trace or a 5xx detail reach a client.
 */
export class HttpServer {
  readonly #routes = new Map<string, Route>()
  readonly #server: Server
  readonly #inFlight = new Set<ServerResponse>()

  constructor(
    private readonly base: Pick<RouteContext, 'domain' | 'logger' | 'bodyLimitBytes'> & { onAuthFailure: (reason: AuthFailure) => void },
  ) {
    this.#server = createServer((req, res) => void this.#handle(req, res))
    this.#server.requestTimeout = 30_000
    this.#server.headersTimeout = 10_000
    this.#server.keepAliveTimeout = 5_000
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
    const rc: RouteContext = { ...this.base, url, requestId, ip: req.socket.remoteAddress ?? null, principal: null, logger: this.base.logger }
    try {
      const route = this.#routes.get(`${req.method} ${url.pathname}`)
      if (route) await route(req, res, rc)
      else if ([...this.#routes.keys()].some((k) => k.endsWith(` ${url.pathname}`))) sendJson(res, 405, { error: 'method_not_allowed', error_description: `${req.method} is not allowed on ${url.pathname}` })
      else sendJson(res, 404, { error: 'not_found', error_description: `no route ${url.pathname}` })
    } catch (error) {
      this.#fail(res, rc, error)
    } finally {
      this.#inFlight.delete(res)
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      rc.logger.info({ requestId, method: req.method, path: url.pathname, status: res.statusCode, ms: Math.round(ms * 100) / 100, tokenId: rc.principal?.token.id }, 'request')
    }
  }

  #fail(res: ServerResponse, rc: RouteContext, error: unknown): void {
    if (res.headersSent) {
      res.destroy()
      return
    }
    if (error instanceof BodyError) return sendGraphQLError(res, error.status, error.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', error.message)
    if (error instanceof ScopewardError && error.code !== 'INTERNAL_SERVER_ERROR') return sendGraphQLError(res, ERROR_STATUS[error.code], error.code, error.message)
    rc.logger.error({ requestId: rc.requestId, err: error }, 'unhandled error')
    sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error')
  }
}
