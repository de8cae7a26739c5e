// Addresses a webhook may not reach unless SCOPEWARD_WEBHOOK_ALLOW_PRIVATE=true: loopback,
// private, link-local, carrier-grade NAT, multicast, reserved and unspecified ranges, in IPv4 and
// IPv6 (an IPv4-mapped IPv6 address is judged by its IPv4 part).

import { BlockList, isIPv4 } from 'node:net'

const blocked = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2002::', 16],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6')

/** True when `address` (an IP literal) lies in a range a webhook may not reach. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return blocked.check(mapped[1] as string, 'ipv4')
  return isIPv4(address) ? blocked.check(address, 'ipv4') : blocked.check(address, 'ipv6')
}
