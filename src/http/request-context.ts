// The RouteContext of one request (route.ts), made by the server's onRequest hook. A class, so a
// request costs one object: its accessors live on the prototype, not in fresh closures per request,
// and the URL and the request logger are made only when something reads them.

import type { AuthFailure } from '../domain/authenticate.js'
import type { Principal } from '../domain/context.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { RateLimiter } from '../auth/rate-limiter.js'
import type { ServerResponse } from 'node:http'
import { rateLimitHeaders } from '../error-responses.js'
import { presentedTokenId } from '../tokens/presented-token-id.js'
import type { RouteContext } from './route.js'

/** What every request of one server shares: the server's options as the context reads them. */
export interface FrontContext extends Pick<RouteContext, 'domain' | 'logger' | 'bodyLimitBytes' | 'tokenLimiter'> {
  onAuthFailure: (reason: AuthFailure) => void
  authFailureLimiter?: RateLimiter | undefined
  metrics?: Metrics | undefined
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({})

/** A request target as a URL (its query string for routes that read one); an unparsable one is the root. */
function parseUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://localhost')
  } catch {
    return new URL('http://localhost/')
  }
}

export class RequestContext implements RouteContext {
  readonly domain: RouteContext['domain']
  readonly bodyLimitBytes: number
  readonly tokenLimiter: RateLimiter | undefined
  params: Readonly<Record<string, string>> = NO_PARAMS
  body = ''
  #url: URL | undefined = undefined
  #logger: Logger | undefined = undefined
  #principal: Principal | null = null

  constructor(
    readonly front: FrontContext,
    readonly requestId: string,
    readonly ip: string | null,
    /** The request target as sent (path and query). */
    readonly target: string | undefined,
    /** The response, for headers the caller's authentication decides (RateLimit-*). */
    readonly res: ServerResponse,
  ) {
    this.domain = front.domain
    this.bodyLimitBytes = front.bodyLimitBytes
    this.tokenLimiter = front.tokenLimiter
  }

  /** Parsed on first use: most routes never read the query string. */
  get url(): URL {
    return (this.#url ??= parseUrl(this.target))
  }

  /**
   * This request's logger: a child of the server's logger bound to the request id (and the token id
   * once a caller is known), made on first use. The access line does not need it (it names both
   * itself), so a request that logs nothing else creates no child logger.
   */
  get logger(): Logger {
    if (this.#logger) return this.#logger
    const root = this.front.logger
    if (root.level === 'silent') return root
    const tokenId = this.#principal?.token.id
    this.#logger = root.child(tokenId === undefined ? { requestId: this.requestId } : { requestId: this.requestId, tokenId })
    return this.#logger
  }

  get principal(): Principal | null {
    return this.#principal
  }

  /** Once a caller is known, every later line of this request names its token. */
  set principal(value: Principal | null) {
    this.#principal = value
    this.#logger = undefined
    // The token's rate limit, within it, as IETF RateLimit headers (a 429 carries them from its error).
    const rateLimit = value?.limits?.rateLimit
    if (rateLimit) for (const [name, v] of Object.entries(rateLimitHeaders(rateLimit))) this.res.setHeader(name, v)
  }

  onAuthFailure(reason: AuthFailure, presented?: string): void {
    const front = this.front
    front.onAuthFailure(reason)
    front.metrics?.authFailures.inc({ reason })
    this.logger.info({ reason, tokenId: presentedTokenId(presented, this.domain.tokenFormat), ip: this.ip }, 'authentication refused')
    const ip = this.ip
    const limiter = front.authFailureLimiter
    // Spent in the background: the refusal is answered without waiting on a shared backend.
    if (ip !== null && limiter) void Promise.resolve(limiter.take(ip)).catch((err: unknown) => this.logger.error({ err }, 'rate limiter failed'))
  }
}
