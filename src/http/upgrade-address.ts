import type { IncomingMessage } from 'node:http'
import { unmapped, type ProxyTest } from './trusted-proxies.js'

/**
 * The client address of a request Fastify does not route (a WebSocket upgrade), by the rule
 * Fastify's `trustProxy` applies to every other request (proxy-addr): walking from the socket's
 * peer back through X-Forwarded-For, the first hop that is not a trusted proxy. Without trusted
 * proxies the header is ignored: anyone can write it.
 */
export function upgradeClientAddress(req: IncomingMessage, isTrustedProxy: ProxyTest): string | null {
  const peer = req.socket.remoteAddress
  if (!peer) return null
  let address = unmapped(peer)
  const header = req.headers['x-forwarded-for']
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '')
    .reverse()
  for (const hop of forwarded) {
    if (!isTrustedProxy(address)) return address
    address = unmapped(hop)
  }
  return address
}
