// CIDR parsing and containment (src/cidr.ts), shared by trusted proxies and token allowlists.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { addressInRanges, cidrContains, cidrProblem, parseCidr, type Cidr } from '../../src/cidr.js'

const cidr = (text: string): Cidr => {
  const parsed = parseCidr(text)
  assert.ok(parsed, text)
  return parsed
}

describe('cidr', () => {
  test('parses addresses and ranges of both families, clearing host bits', () => {
    assert.deepEqual(cidr('10.1.2.3/8'), { family: 4, network: 10n << 24n, prefix: 8 })
    assert.deepEqual(cidr('192.168.1.1'), { family: 4, network: (192n << 24n) | (168n << 16n) | (1n << 8n) | 1n, prefix: 32 })
    assert.deepEqual(cidr('0.0.0.0/0'), { family: 4, network: 0n, prefix: 0 })
    assert.deepEqual(cidr('2001:db8::1/32'), { family: 6, network: 0x20010db8n << 96n, prefix: 32 })
    assert.deepEqual(cidr('::1'), { family: 6, network: 1n, prefix: 128 })
    assert.deepEqual(cidr('::ffff:10.0.0.1'), { family: 6, network: (0xffffn << 32n) | (10n << 24n) | 1n, prefix: 128 })
  })

  test('refuses what is not an address or range, naming why', () => {
    for (const bad of ['', 'x', '10.0.0', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/8/8', '::1/129', '10.0.0.0/08a', '1.2.3.4 /8', '[::1]']) {
      assert.notEqual(cidrProblem(bad), null, bad)
      assert.equal(parseCidr(bad), null, bad)
    }
    assert.match(cidrProblem('10.0.0.0/33') ?? '', /out of range for IPv4/)
    assert.match(cidrProblem('::/200') ?? '', /out of range for IPv6/)
  })

  test('a range contains itself, its subranges and its addresses; never a wider range or another family', () => {
    assert.ok(cidrContains(cidr('10.0.0.0/8'), cidr('10.0.0.0/8')))
    assert.ok(cidrContains(cidr('10.0.0.0/8'), cidr('10.20.0.0/16')))
    assert.ok(cidrContains(cidr('10.0.0.0/8'), cidr('10.255.255.255')))
    assert.ok(cidrContains(cidr('0.0.0.0/0'), cidr('203.0.113.7')))
    assert.ok(cidrContains(cidr('2001:db8::/32'), cidr('2001:db8:ffff::/48')))
    assert.ok(!cidrContains(cidr('10.20.0.0/16'), cidr('10.0.0.0/8')))
    assert.ok(!cidrContains(cidr('10.0.0.0/8'), cidr('11.0.0.0/8')))
    assert.ok(!cidrContains(cidr('10.0.0.0/8'), cidr('9.255.255.255')))
    assert.ok(!cidrContains(cidr('0.0.0.0/0'), cidr('::1')))
    assert.ok(!cidrContains(cidr('::/0'), cidr('10.0.0.1')))
    assert.ok(!cidrContains(cidr('2001:db8::/32'), cidr('2001:db9::/32')))
  })

  test('an address matches a list when any range holds it; an IPv4-mapped address matches as IPv4', () => {
    const ranges = [cidr('10.0.0.0/8'), cidr('2001:db8::/32')]
    assert.ok(addressInRanges('10.9.8.7', ranges))
    assert.ok(addressInRanges('::ffff:10.9.8.7', ranges))
    assert.ok(addressInRanges('2001:db8::42', ranges))
    assert.ok(!addressInRanges('11.0.0.1', ranges))
    assert.ok(!addressInRanges('2001:db9::1', ranges))
    assert.ok(!addressInRanges('not an address', ranges))
    assert.ok(!addressInRanges('10.0.0.1', []))
  })
})
