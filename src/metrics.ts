import type { ApolloServerPlugin } from '@apollo/server'
import { Kind } from 'graphql'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Store } from './domain/ports.js'

/**
 * Prometheus metrics of one server (its own registry, so several servers in one process stay
 * apart). Labels are bounded by the schema and the code, never by client-chosen strings.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly requests = new Counter({
    name: 'scopeward_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  })
  readonly latency = new Histogram({
    name: 'scopeward_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  })
  readonly operations = new Counter({
    name: 'scopeward_graphql_operations_total',
    help: 'GraphQL operations by type, first root field and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  })
  readonly authFailures = new Counter({
    name: 'scopeward_auth_failures_total',
    help: 'Refused authentications by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  })
  readonly denials = new Counter({
    name: 'scopeward_authorization_denials_total',
    help: 'Fields denied by the scope directives, by schema coordinate',
    labelNames: ['field'] as const,
    registers: [this.registry],
  })
  readonly rateLimited = new Counter({
    name: 'scopeward_rate_limited_total',
    help: 'Requests answered 429, by limiter',
    labelNames: ['limiter'] as const,
    registers: [this.registry],
  })

  /** `maxLifetimeMs`: the instance's lifetime policy, which the count applies as a token's `status` does. */
  constructor(store: Store, clock: () => number, maxLifetimeMs: number | null = null) {
    collectDefaultMetrics({ register: this.registry })
    new Gauge({
      name: 'scopeward_active_tokens',
      help: 'Tokens neither revoked nor expired',
      registers: [this.registry],
      async collect() {
        this.set(await store.countTokens({ status: 'ACTIVE', now: clock(), maxLifetimeMs: maxLifetimeMs ?? undefined }))
      },
    })
  }

  /** Counts each operation's outcome and each denied field (from the errors the directive engine wrote). */
  plugin(): ApolloServerPlugin<any> {
    const { operations, denials } = this
    return {
      // eslint-disable-next-line @typescript-eslint/require-await -- Apollo types this hook as promise-returning
      async requestDidStart() {
        return {
          // eslint-disable-next-line @typescript-eslint/require-await -- Apollo types this hook as promise-returning
          async willSendResponse({ operation, errors, response }) {
            const root = operation?.selectionSet.selections.find((s) => s.kind === Kind.FIELD)
            const label = operation ? `${operation.operation} ${root && root.kind === Kind.FIELD ? root.name.value : '?'}` : 'unparsed'
            const status = response.http.status ?? 200
            const codes = (errors ?? []).map((e) => e.extensions?.code)
            const outcome =
              status >= 500
                ? 'error'
                : status === 403 || codes.includes('FORBIDDEN')
                  ? 'forbidden'
                  : status === 401
                    ? 'unauthenticated'
                    : codes.length > 0
                      ? 'partial_or_invalid'
                      : 'ok'
            operations.inc({ operation: label, outcome })
            for (const e of errors ?? []) {
              const ext = e.extensions as { code?: string; coordinate?: string; denied?: { coordinate: string }[] } | undefined
              if (ext?.code !== 'FORBIDDEN' && ext?.code !== 'UNAUTHENTICATED') continue
              for (const d of ext.denied ?? (ext.coordinate ? [{ coordinate: ext.coordinate }] : [])) denials.inc({ field: d.coordinate })
            }
          },
        }
      },
    }
  }
}
