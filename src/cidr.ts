// Addresses and CIDR ranges, shared by the trusted-proxy rules (src/http/trusted-proxies.ts) and
// the per-token IP allowlists (src/auth/policies/ip-allowlist.ts, src/domain/token-constraints.ts):
// one parser, so a range the proxy setting accepts means the same in an allowlist.
import { isIP } from 'node:net'

/** A parsed range: its family, its network address as a number (host bits cleared) and its prefix length. */
export interface Cidr {
  readonly family: 4 | 6
  readonly network: bigint
  readonly prefix: number
}

/** Why `entry` is not an address or a CIDR range, or null when it is one. */
export function cidrProblem(entry: string): string | null {
  const [address = '', prefix, extra] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || extra !== undefined) return 'is not an IP address or CIDR range'
  if (prefix === undefined) return null
  const bits = Number(prefix)
  if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) return `has a prefix length out of range for IPv${family}`
  return null
}

/** An IPv4-mapped IPv6 address as its IPv4 form; any other address unchanged. */
export function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

/**
 * Parses `entry` (an address is a range of one: /32 or /128), or null when `cidrProblem` finds it
 * malformed. Host bits are cleared, so `10.1.2.3/8` is `10.0.0.0/8`; an IPv4-mapped IPv6 range
 * is not rewritten (write it as IPv4).
 */
export function parseCidr(entry: string): Cidr | null {
  if (cidrProblem(entry) !== null) return null
  const [address = '', prefix] = entry.split('/')
  const family = isIP(address) === 6 ? 6 : 4
  const width = family === 4 ? 32 : 128
  const bits = prefix === undefined ? width : Number(prefix)
  const value = family === 4 ? ipv4Value(address) : ipv6Value(address)
  return { family, network: value & mask(bits, width), prefix: bits }
}

/** Whether every address of `inner` lies in `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false
  return (inner.network & mask(outer.prefix, outer.family === 4 ? 32 : 128)) === outer.network
}

/** Whether `address` (a plain or IPv4-mapped address) lies in any of `ranges`; false for what is not an address. */
export function addressInRanges(address: string, ranges: readonly Cidr[]): boolean {
  const plain = unmapped(address)
  const family = isIP(plain)
  if (family === 0) return false
  const one: Cidr = { family: family === 4 ? 4 : 6, network: family === 4 ? ipv4Value(plain) : ipv6Value(plain), prefix: family === 4 ? 32 : 128 }
  return ranges.some((range) => cidrContains(range, one))
}

function mask(bits: number, width: number): bigint {
  return bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits)
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n)
}

function ipv6Value(address: string): bigint {
  let text = address
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4?.[1]) {
    const n = Number(ipv4Value(v4[1]))
    text = `${text.slice(0, -v4[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0')
  return [...headGroups, ...zeros, ...tailGroups].reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n)
}
