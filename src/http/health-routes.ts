import { isReady } from '../domain/queries.js'
import type { Route } from './route.js'
import { sendJson } from './respond.js'

/** GET /healthz: the process answers. */
export const healthz: Route = (_req, res) => sendJson(res, 200, { status: 'ok' })

/** GET /readyz: the database answers and every migration is applied; 503 otherwise. */
export const readyz: Route = async (_req, res, rc) => {
  const ready = await isReady(rc.domain)
  sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready' })
}
