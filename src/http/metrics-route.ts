import type { Metrics } from '../metrics.js'
import { SECURITY_HEADERS } from './respond.js'
import type { Route } from './route.js'

/** GET /metrics: Prometheus text format. Expose it to your scraper only (it has no credentials of its own). */
export function metricsRoute(metrics: Metrics): Route {
  return async (_req, res) => {
    const text = await metrics.registry.metrics()
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': metrics.registry.contentType })
    res.end(text)
  }
}
