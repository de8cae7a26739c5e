// `scopeward token issue|derive` with constraint flags: --allow-cidr, --rate-limit, --credits, --refill.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { cliFails, cliJson, freshDatabase, jsonError, type CliDatabase } from './harness.js'

describe('scopeward token constraint flags', () => {
  let fx: CliDatabase
  let db: string[]
  before(async () => {
    fx = await freshDatabase()
    db = ['--db', fx.db]
  })
  after(() => fx.discard())

  test('issue sets the allowlist, rate limit and credits, and --json shows them', async () => {
    const out = await cliJson<{ token: any }>([
      'token',
      'issue',
      ...db,
      '--name',
      'partner',
      '--scope',
      'tokens:read,tokens:write',
      '--allow-cidr',
      '10.0.0.0/8',
      '--allow-cidr',
      '2001:db8::/32',
      '--rate-limit',
      '100/1m',
      '--credits',
      '1000',
      '--refill',
      '100/1d',
    ])
    assert.deepEqual(out.token.constraints, {
      allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
      rateLimit: { limit: 100, window: 'PT1M' },
      credits: { remaining: 1000, refill: { amount: 100, interval: 'P1D' } },
    })
  })

  test('derive inherits and narrows; a wider child is refused naming what widened', async () => {
    const parent = await cliJson<{ token: any }>(['token', 'issue', ...db, '--name', 'p', '--scope', 'tokens:read', '--rate-limit', '100/1m', '--credits', '50'])
    const child = await cliJson<{ token: any }>(['token', 'derive', parent.token.id, ...db, '--name', 'c', '--scope', 'tokens:read', '--credits', '5'])
    assert.deepEqual(child.token.constraints, { allowedCidrs: null, rateLimit: { limit: 100, window: 'PT1M' }, credits: { remaining: 5, refill: null } })
    const wider = await cliFails(1, ['token', 'derive', parent.token.id, ...db, '--name', 'c', '--scope', 'tokens:read', '--rate-limit', '1000/1m', '--json'])
    assert.equal(jsonError(wider).code, 'RATE_LIMIT_WIDENED')
    assert.match(jsonError(wider).message, /--rate-limit/)
  })

  test('flags of the wrong shape are refused naming the flag, and nothing is issued', async () => {
    const before = (await cliJson<any[]>(['token', 'list', ...db])).length
    for (const [flags, name] of [
      [['--rate-limit', '100'], '--rate-limit'],
      [['--rate-limit', 'x/1m'], '--rate-limit'],
      [['--credits', '-5'], '--credits'],
      [['--refill', '10/1d'], '--refill'],
      [['--allow-cidr', '10.0.0.0/99'], '--allow-cidr'],
      [['--rate-limit', '5/1.5s'], '--rate-limit'],
    ] as const) {
      const res = await cliFails(1, ['token', 'issue', ...db, '--name', 'x', '--scope', 'tokens:read', ...flags, '--json'])
      assert.match(jsonError(res).message, new RegExp(name), flags.join(' '))
    }
    assert.equal((await cliJson<any[]>(['token', 'list', ...db])).length, before)
  })
})
