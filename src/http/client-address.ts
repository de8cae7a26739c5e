import type { IncomingMessage } from 'node:http'

/**
 * The client's address: the socket's peer, unless that peer is a configured trusted proxy, in
 * which case the right-most X-Forwarded-For entry that is not itself a trusted proxy. Without
 * trusted proxies the header is ignored: anyone can write it.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string | null {
  const peer = normalize(req.socket.remoteAddress ?? null)
  if (peer === null || trustedProxies.size === 0 || !trustedProxies.has(peer)) return peer
  const header = req.headers['x-forwarded-for']
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => normalize(h.trim())).filter((h): h is string => !!h)
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string
    if (!trustedProxies.has(hop)) return hop
  }
  return peer
}

export function normalize(address: string | null): string | null {
  if (!address) return null
  return address.startsWith('::ffff:') ? address.slice(7) : address
}
