// `scopeward audit ...`, `report`, `init` and `migrate` in process.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { assertIsoTimes, cli, cliFails, cliJson, freshDatabase, jsonError, type CliDatabase } from './harness.js'

describe('scopeward audit, report, init and migrate', () => {
  let fx: CliDatabase
  let db: string[]
  before(async () => {
    fx = await freshDatabase()
    db = ['--db', fx.db]
    await cliJson(['app', 'create', ...db, '--name', 'billing', '--scope', 'tokens:read'])
    for (let i = 0; i < 3; i++) await cliJson(['token', 'issue', ...db, '--name', `t${i}`, '--scope', 'tokens:read', '--app', 'billing'])
  })
  after(() => fx.discard())

  test('audit list shows every event with the API field names, details as an object and ISO times', async () => {
    const events = await cliJson<any[]>(['audit', 'list', ...db])
    assert.deepEqual(
      events.map((e) => e.action),
      ['instance.init', 'app.create', 'token.issue', 'token.issue', 'token.issue'],
    )
    assert.deepEqual(
      events.map((e) => e.seq),
      [1, 2, 3, 4, 5],
    )
    assert.equal(typeof events[2].details, 'object')
    assertIsoTimes(events)
    const text = await cli(['audit', 'list', ...db])
    assert.match(text.stdout.split('\n')[0] as string, /^SEQ +AT +ACTION +ACTOR +TARGET +APP$/)
  })

  test('audit list filters by action and time; a bad --from is an error naming --from', async () => {
    const issued = await cliJson<any[]>(['audit', 'list', ...db, '--action', 'token.issue'])
    assert.equal(issued.length, 3)
    const future = await cliJson<any[]>(['audit', 'list', ...db, '--from', '2999-01-01T00:00:00Z'])
    assert.deepEqual(future, [])
    const bad = jsonError(await cliFails(1, ['audit', 'list', ...db, '--from', 'yesterday', '--json']))
    assert.equal(bad.field, '--from')
    assert.match(bad.message, /^--from: /)
  })

  test('audit export writes one JSON event per line, every page, in the list shape', async () => {
    for (let i = 0; i < 100; i++) await cli(['app', 'create', ...db, '--name', `bulk-${i}`])
    const run = await cli(['audit', 'export', ...db])
    assert.equal(run.code, 0, run.stderr)
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.equal(lines.length, 105)
    assert.deepEqual(
      lines.map((e) => e.seq),
      Array.from({ length: 105 }, (_, i) => i + 1),
    )
    assertIsoTimes(lines)
    assert.equal(run.stderr, '', 'no progress when stderr is not a terminal')
    const progress = await cli(['audit', 'export', ...db], { stderrIsTTY: true })
    assert.match(progress.stderr, /audit events: 105/)
    assert.match(progress.stderr, /exported 105 audit events/)
  })

  test('audit verify and head: intact chain, head as {seq, hash}; a malformed --head is named', async () => {
    const verify = await cli(['audit', 'verify', ...db])
    assert.equal(verify.code, 0, verify.stderr)
    assert.match(verify.stdout, /audit log intact: \d+ events/)
    const head = await cliJson(['audit', 'head', ...db])
    assert.match(head.hash, /^[0-9a-f]{64}$/)
    const anchored = await cli(['audit', 'verify', ...db, '--head', head.hash])
    assert.match(anchored.stdout, /contains the anchored head/)
    const json = await cliJson(['audit', 'verify', ...db])
    assert.equal(json.ok, true)
    const bad = await cliFails(1, ['audit', 'verify', ...db, '--head', "x' OR 1=1", '--json'])
    assert.equal(jsonError(bad).field, '--head')
  })

  test('report --json: over-permissioned and never-expiring tokens with the API shape and ISO times', async () => {
    await cliJson(['token', 'issue', ...db, '--name', 'forever', '--scope', 'apps:read', '--no-expiry'])
    const report = await cliJson(['report', ...db, '--unused-for', '1s'])
    assert.deepEqual(Object.keys(report).sort(), ['neverExpiring', 'overPermissioned', 'usageGaps'])
    assert.ok(report.neverExpiring.some((t: any) => t.name === 'forever' && t.expiresAt === null))
    assertIsoTimes(report)
    const text = await cli(['report', ...db])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /Tokens that never expire \(\d+\):/)
    assert.match(text.stdout, /scopeward token trim <ID>/)
    const bad = await cliFails(2, ['report', ...db, '--unused-for', 'a while'])
    assert.match(bad.stderr, /--unused-for/)
  })

  test('migrate says what it applied: a new database is migrated, an up-to-date one is left alone', async () => {
    const fresh = join(fx.dir, 'migrated.db')
    const first = await cliJson(['migrate', '--db', fresh])
    assert.equal(first.applied, true)
    assert.match(first.schema, /^\d{4}_/)
    const second = await cli(['migrate', '--db', fresh])
    assert.match(second.stdout, /is up to date \(schema \d{4}_\w+\): nothing applied/)
  })

  test('init on an initialised database exits 1 and changes nothing; --help states the default database', async () => {
    const before = await cliJson<any[]>(['audit', 'list', ...db])
    const again = await cliFails(1, ['init', ...db])
    assert.match(again.stderr, /already initialised/)
    assert.equal((await cliJson<any[]>(['audit', 'list', ...db])).length, before.length)
    const help = await cli(['init', '--help'])
    assert.match(help.stdout.replace(/\s+/g, ' '), /default: \$SCOPEWARD_DB, else \.\/data\/scopeward\.db/)
    assert.equal(existsSync(join(fx.dir, 'data')), false)
  })
})
