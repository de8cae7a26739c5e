import { BlockList, isIP } from 'node:net'
import { unmapped } from '../cidr.js'

export { unmapped }

/**
 * Trusted proxies as a membership test over addresses and CIDR ranges (`10.0.0.0/8`, `::1`,
 * `fd00::/8`). One test serves both Fastify's `trustProxy` (which X-Forwarded-For hops to believe)
 * and the per-address connection cap (which peers carry many clients), so the two never disagree.
 */
export type ProxyTest = (address: string) => boolean

/** A test that is true for an address inside any of `entries` (validated by `cidrProblem`, src/cidr.ts). */
export function trustedProxyTest(entries: Iterable<string>): ProxyTest {
  const list = new BlockList()
  let empty = true
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/')
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(address, type)
    else list.addSubnet(address, Number(prefix), type)
    empty = false
  }
  if (empty) return () => false
  return (address) => {
    // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d: compare it as the IPv4 address it is.
    const plain = unmapped(address)
    const family = isIP(plain)
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4')
  }
}
