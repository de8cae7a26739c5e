import { addressInRanges, parseCidr, type Cidr } from '../../cidr.js'
import type { RequestPolicy } from '../policy.js'

/**
 * A token with `allowedCidrs` is valid only from a client address inside one of them: the address
 * the trusted-proxy rules give (src/http/trusted-proxies.ts), never a header the client sets
 * itself. Guards the token's holder (`bearer`, subject and actor tokens), not whoever introspects
 * or revokes it. An unknown address (no HTTP request) is outside every list. A rotated token in its
 * grace must also lie within its successor's list as it is now: narrowing the successor narrows the old secret.
 */
export const ipAllowlist: RequestPolicy = {
  name: 'ip_allowlist',
  check({ token, successor }, request, use) {
    if (use === 'introspected' || use === 'revoked') return null
    for (const entries of [token.constraints?.allowedCidrs, successor?.constraints?.allowedCidrs]) {
      if (!entries) continue
      if (request.ip === null) return 'address_not_allowed'
      const ranges = entries.map(parseCidr).filter((c): c is Cidr => c !== null)
      if (!addressInRanges(request.ip, ranges)) return 'address_not_allowed'
    }
    return null
  },
}
