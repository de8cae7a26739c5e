import { addressInRanges, parseCidr, type Cidr } from '../../cidr.js'
import type { RequestPolicy } from '../policy.js'

/**
 * A token with `allowedCidrs` is valid only from a client address inside one of them: the address
 * the trusted-proxy rules give (src/http/trusted-proxies.ts), never a header the client sets
 * itself. Guards the token's holder (`bearer`, subject and actor tokens), not whoever introspects
 * or revokes it. An unknown address (no HTTP request) is outside every list.
 */
export const ipAllowlist: RequestPolicy = {
  name: 'ip_allowlist',
  check({ token }, request, use) {
    const entries = token.constraints?.allowedCidrs
    if (!entries || use === 'introspected' || use === 'revoked') return null
    if (request.ip === null) return 'address_not_allowed'
    return addressInRanges(
      request.ip,
      entries.map(parseCidr).filter((c): c is Cidr => c !== null),
    )
      ? null
      : 'address_not_allowed'
  },
}
