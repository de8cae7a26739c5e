import { ScopewardError } from '../errors.js'
import { isoTime as iso } from '../iso-time.js'
import { findApp } from '../domain/queries.js'
import type { TokenEventListener } from '../domain/token-event-feed.js'
import { mayReceiveTokenEvent, type TokenEvent, type TokenEventType } from '../domain/token-events.js'
import { actorOf, caller, type GraphQLContext } from './context.js'
import type { Resolvers, TokenEventType as TokenEventTypeName } from './types.generated.js'

/** Where a subscription's events come from: the connection's gate over the token event feed (src/http/subscriptions.ts). */
export interface TokenEventSource {
  listen(listener: TokenEventListener): Promise<() => void>
}

/** The context of an operation over WebSocket: a GraphQL context whose caller the connection keeps current, and the event source. */
export interface LiveContext extends GraphQLContext {
  tokenEvents: TokenEventSource
}

/** Events a slow subscriber may have waiting before its stream is ended (it can resume from `seq` with auditEvents). */
export const MAX_QUEUED_EVENTS = 10_000

const NAMES: Record<TokenEventType, TokenEventTypeName> = {
  'token.issued': 'TOKEN_ISSUED',
  'token.rotated': 'TOKEN_ROTATED',
  'token.revoked': 'TOKEN_REVOKED',
  'token.trimmed': 'TOKEN_TRIMMED',
  'token.expiring': 'TOKEN_EXPIRING',
  'token.expired': 'TOKEN_EXPIRED',
  'app.disabled': 'APP_DISABLED',
  'app.enabled': 'APP_ENABLED',
  'key.rotated': 'KEY_ROTATED',
}

/**
 * The stream of one `tokenEvents` subscription: the feed's events the caller may receive (checked
 * against its current principal at each event), narrowed to `appId` and `types`.
 */
async function tokenEventStream(ctx: GraphQLContext, args: { appId?: string | null; types?: readonly TokenEventTypeName[] | null }): Promise<AsyncIterableIterator<TokenEvent>> {
  const source = (ctx as Partial<LiveContext>).tokenEvents
  if (!source) throw new ScopewardError('BAD_USER_INPUT', 'subscriptions are served over WebSocket only (graphql-ws protocol on /graphql)')
  if (args.appId != null && (await findApp(ctx.domain, actorOf(ctx), args.appId)) === null) throw new ScopewardError('NOT_FOUND', `appId: no app ${JSON.stringify(args.appId)}`)
  const types = args.types && args.types.length > 0 ? new Set(args.types) : null
  const queue: TokenEvent[] = []
  let waiting: ((result: IteratorResult<TokenEvent>) => void) | null = null
  let done = false
  let stop = (): void => undefined
  const finish = (): Promise<IteratorResult<TokenEvent>> => {
    done = true
    stop()
    queue.length = 0
    waiting?.({ value: undefined, done: true })
    waiting = null
    return Promise.resolve({ value: undefined, done: true })
  }
  stop = await source.listen((events) => {
    if (done) return
    for (const event of events) {
      if (args.appId != null && event.data.appId !== args.appId) continue
      if (types && !types.has(NAMES[event.type])) continue
      // The principal as the connection last checked it: a narrowed token receives less at once.
      if (!mayReceiveTokenEvent(caller(ctx), event)) continue
      if (waiting) {
        const resolve = waiting
        waiting = null
        resolve({ value: event, done: false })
      } else if (queue.length >= MAX_QUEUED_EVENTS) {
        void finish()
        return
      } else queue.push(event)
    }
  })
  const stream: AsyncIterableIterator<TokenEvent> = {
    next: () => {
      const event = queue.shift()
      if (event) return Promise.resolve({ value: event, done: false })
      if (done) return Promise.resolve({ value: undefined, done: true })
      return new Promise((resolve) => (waiting = resolve))
    },
    return: finish,
    [Symbol.asyncIterator]: () => stream,
  }
  return stream
}

/** Resolvers of schema/subscriptions.graphql. */
export const subscriptionResolvers: Resolvers = {
  Subscription: {
    tokenEvents: {
      subscribe: (_p, args, ctx) => tokenEventStream(ctx, args) as never,
      resolve: (event: TokenEvent) => event,
    },
  },
  TokenEvent: {
    type: (e) => NAMES[e.type],
    timestamp: (e) => iso(e.at),
  },
}
