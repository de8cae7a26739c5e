// `scopeward audit export` (NDJSON, --since/--until, progress) and `audit verify --file`: an export
// verifies on its own, and an edited, removed or reordered line is named by its line number.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { auditHash } from '../../src/domain/audit-hash.js'
import { runSql } from '../e2e/harness.js'
import { assertIsoTimes, cli, cliFails, cliJson, freshDatabase, jsonError, type CliDatabase } from './harness.js'

/** The lines of an export, parsed. */
const parse = (stdout: string): any[] =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
const ndjson = (lines: unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\n') + '\n'

describe('scopeward audit export and verify --file', () => {
  let fx: CliDatabase
  let db: string[]
  let dir: string
  const file = (name: string, text: string): string => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scopeward-export-'))
    fx = await freshDatabase()
    db = ['--db', fx.db]
    await cliJson(['app', 'create', ...db, '--name', 'billing', '--scope', 'tokens:read'])
    for (let i = 0; i < 4; i++) await cliJson(['token', 'issue', ...db, '--name', `t${i}`, '--scope', 'tokens:read', '--app', 'billing'])
  })
  after(async () => {
    await fx.discard()
    rmSync(dir, { recursive: true, force: true })
  })

  test('an export is one event per line with ISO times, its hash and the hash it chains from, and verifies', async () => {
    const run = await cli(['audit', 'export', ...db])
    assert.equal(run.code, 0, run.stderr)
    const lines = parse(run.stdout)
    assert.deepEqual(
      lines.map((e) => e.seq),
      [1, 2, 3, 4, 5, 6],
    )
    assertIsoTimes(lines.map(({ previousHash: _p, hash: _h, ...rest }) => rest))
    assert.equal(lines[0].previousHash, '0'.repeat(64))
    for (let i = 1; i < lines.length; i++) assert.equal(lines[i].previousHash, lines[i - 1].hash)
    const verified = await cliJson(['audit', 'verify', '--file', file('full.ndjson', run.stdout)])
    assert.deepEqual([verified.ok, verified.events, verified.first, verified.head.seq], [true, 6, 1, 6])
    // The export ends at the log's head: the same hash `audit head` prints.
    assert.equal(verified.head.hash, (await cliJson(['audit', 'head', ...db])).hash)
  })

  test('--since and --until select a window, which verifies on its own; both spellings at once are refused, naming the flag', async () => {
    const all = parse((await cli(['audit', 'export', ...db])).stdout)
    const since = all[2].at as string
    const until = all[5].at as string
    const window = await cli(['audit', 'export', ...db, '--since', since, '--until', until])
    const lines = parse(window.stdout)
    assert.ok(lines.length >= 1 && lines.every((e) => e.at >= since && e.at < until))
    assert.equal(lines[0].previousHash, all[lines[0].seq - 2].hash)
    const verified = await cliJson(['audit', 'verify', '--file', file('window.ndjson', window.stdout)])
    assert.equal(verified.events, lines.length)
    const both = await cliFails(1, ['audit', 'export', ...db, '--from', since, '--since', since])
    assert.match(both.stderr, /--since: give --from or --since, not both/)
    const bad = await cliFails(1, ['audit', 'export', ...db, '--until', 'tomorrow'])
    assert.match(bad.stderr, /--until: /)
    for (const refused of [both, bad]) assert.equal(refused.stdout, '')
  })

  test('an edited, removed, reordered or garbled line is detected and named; nothing is printed on stdout', async () => {
    const lines = parse((await cli(['audit', 'export', ...db])).stdout)
    const edited = lines.map((l, i) => (i === 3 ? { ...l, details: { ...l.details, scopes: ['tokens:write'] } } : l))
    const renamed = lines.map((l, i) => (i === 2 ? { ...l, actor: 'someone-else' } : l))
    const cases: [string, string, RegExp][] = [
      ['edited details', ndjson(edited), /line 4: event 4 \(token\.issue\) was changed/],
      ['edited actor', ndjson(renamed), /line 3: event 3 .* was changed/],
      ['removed line', ndjson(lines.filter((_, i) => i !== 2)), /line 3: event 3 is missing/],
      ['reordered lines', ndjson([lines[0], lines[2], lines[1], ...lines.slice(3)]), /line 2: event 2 is missing|line 3: event 2 is out of order/],
      ['garbled line', ndjson(lines).replace(/\n/, '\n{"seq": \n'), /line 2: not JSON/],
      ['hash not hex', ndjson(lines.map((l, i) => (i === 1 ? { ...l, hash: 'x' } : l))), /line 2: hash must be 64 hex characters/],
    ]
    for (const [what, text, problem] of cases) {
      const result = await cliFails(1, ['audit', 'verify', '--file', file(`${what}.ndjson`, text), '--json'])
      const error = jsonError(result)
      assert.equal(error.code, 'CONFLICT', what)
      assert.match(error.message, problem, what)
      assert.equal(result.stdout, '', what)
    }
    const missing = jsonError(await cliFails(1, ['audit', 'verify', '--file', join(dir, 'nope.ndjson'), '--json']))
    assert.equal(missing.field, '--file')
  })

  test('under the master key an edited line is detected even when the attacker recomputes every later SHA-256 link', async () => {
    const masterKey = randomBytes(32).toString('base64url')
    const env = { SCOPEWARD_MASTER_KEY: masterKey }
    const keyed = await freshDatabase()
    try {
      for (const name of ['k1', 'k2']) await cliJson(['token', 'issue', '--db', keyed.db, '--name', name, '--scope', 'tokens:read'], { env })
      const lines = parse((await cli(['audit', 'export', '--db', keyed.db], { env })).stdout)
      // instance.init was written before the key was set: every later link is keyed.
      assert.equal((await cliJson(['audit', 'verify', '--file', file('keyed.ndjson', ndjson(lines))], { env })).keyed, lines.length - 1)
      // The attack: change event 3 and re-link it and everything after it with plain SHA-256.
      let previous = lines[1].hash as string
      const forged = lines.map((l, i) => {
        if (i < 2) return l
        const changed = i === 2 ? { ...l, details: { ...l.details, scopes: ['scopes:write'] } } : l
        const { seq: _s, hash: _h, previousHash: _p, at, ...rest } = changed
        const hash = auditHash(previous, { ...rest, at: Date.parse(at) })
        const out = { ...changed, previousHash: previous, hash }
        previous = hash
        return out
      })
      const refused = jsonError(await cliFails(1, ['audit', 'verify', '--file', file('forged.ndjson', ndjson(forged)), '--json'], { env }))
      assert.match(refused.message, /line 3: event 3 .* was changed/)
    } finally {
      await keyed.discard()
    }
  })

  test('a long export pages through the log and writes a progress line on stderr every 10,000 events', async () => {
    const bulk = await freshDatabase()
    try {
      const n = 20_000
      const sql = bulk.db.startsWith('postgres')
        ? `INSERT INTO audit_events (id, at, action, details, hash) SELECT 'bulk-' || i, 1767225600000 + i, 'bulk.test', '{}'::json, lpad(i::text, 64, '0') FROM generate_series(1, ${n}) AS i`
        : `INSERT INTO audit_events (id, at, action, details, hash) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n}) SELECT 'bulk-' || i, 1767225600000 + i, 'bulk.test', '{}', printf('%064d', i) FROM n`
      await runSql(bulk.db, sql)
      const run = await cli(['audit', 'export', '--db', bulk.db])
      assert.equal(run.code, 0, run.stderr)
      const lines = run.stdout.trim().split('\n')
      assert.equal(lines.length, n + 1)
      assert.equal(JSON.parse(lines[n] as string).seq, n + 1)
      assert.deepEqual(run.stderr.trim().split('\n'), ['exported 10000 audit events so far', 'exported 20000 audit events so far', `exported ${n + 1} audit events`])
    } finally {
      await bulk.discard()
    }
  })
})
