// `scopeward app ...` in process: apps by id or by (unique) name, every subcommand and its errors.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { assertIsoTimes, cli, cliFails, cliJson, freshDatabase, jsonError, type CliDatabase } from './harness.js'

describe('scopeward app', () => {
  let fx: CliDatabase
  let db: string[]
  before(async () => {
    fx = await freshDatabase()
    db = ['--db', fx.db]
  })
  after(() => fx.discard())

  test('create --json has the API shape: maxTokenLifetime as an ISO duration, ISO times; the text form prints the id', async () => {
    const app = await cliJson(['app', 'create', ...db, '--name', 'billing', '--description', 'invoices', '--scope', 'tokens:read', '--scope', 'apps:read', '--max-lifetime', '30d'])
    assert.match(app.id, /^app_[0-9a-f]{16}$/)
    assert.deepEqual(app.allowedScopes, ['apps:read', 'tokens:read'])
    assert.equal(app.maxTokenLifetime, 'P30D')
    assert.equal(app.isRoot, false)
    assert.equal(app.disabledAt, null)
    assertIsoTimes(app)
    const text = await cli(['app', 'create', ...db, '--name', 'plain'])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^app_[0-9a-f]{16}\n$/)
  })

  test('create refuses a bad --max-lifetime (exit 2) and a missing --name (exit 2), naming the flag', async () => {
    const bad = await cliFails(2, ['app', 'create', ...db, '--name', 'x', '--max-lifetime', 'forever'])
    assert.match(bad.stderr, /--max-lifetime/)
    const unnamed = await cliFails(2, ['app', 'create', ...db])
    assert.match(unnamed.stderr, /--name/)
    const blank = await cliFails(1, ['app', 'create', ...db, '--name', '  ', '--json'])
    assert.equal(jsonError(blank).field, '--name')
  })

  test('--audience declares the RFC 8707 audiences of create and update ("none" clears them); a bad one is refused naming the flag', async () => {
    const app = await cliJson(['app', 'create', ...db, '--name', 'api', '--audience', 'https://api.example.com,https://b.example'])
    assert.deepEqual(app.audiences, ['https://api.example.com', 'https://b.example'])
    const changed = await cliJson(['app', 'update', app.id, ...db, '--audience', 'https://c.example'])
    assert.deepEqual(changed.audiences, ['https://c.example'])
    assert.deepEqual((await cliJson(['app', 'update', app.id, ...db, '--audience', 'none'])).audiences, [])
    const bad = await cliFails(1, ['app', 'create', ...db, '--name', 'bad', '--audience', 'not-a-uri', '--json'])
    assert.equal(jsonError(bad).field, '--audience')
  })

  test('list pages through every app; the table shows names, status and max lifetime', async () => {
    for (let i = 0; i < 101; i++) await cli(['app', 'create', ...db, '--name', `many-${i}`])
    const apps = await cliJson<any[]>(['app', 'list', ...db])
    assert.equal(apps.filter((a) => a.name.startsWith('many-')).length, 101)
    assertIsoTimes(apps)
    const text = await cli(['app', 'list', ...db])
    assert.match(text.stdout.split('\n')[0] as string, /^ID +NAME +STATUS +ALLOWED SCOPES +MAX LIFETIME +CREATED$/)
    assert.match(text.stdout, /billing +enabled +apps:read,tokens:read +P30D/)
  })

  test('show finds an app by id or by name; an unknown one exits 1 NOT_FOUND', async () => {
    const byName = await cliJson(['app', 'show', ...db, 'billing'])
    const byId = await cliJson(['app', 'show', ...db, byName.id])
    assert.deepEqual(byId, byName)
    const missing = await cliFails(1, ['app', 'show', ...db, 'no-such-app', '--json'])
    assert.equal(jsonError(missing).code, 'NOT_FOUND')
  })

  test('app names are unique: a second app of the same name is refused naming --name, and the name still addresses the first', async () => {
    const a = await cliJson(['app', 'create', ...db, '--name', 'twin'])
    const twice = await cliFails(1, ['app', 'create', ...db, '--name', 'twin', '--json'])
    const error = jsonError(twice)
    assert.equal(error.code, 'CONFLICT')
    assert.equal(error.field, '--name')
    assert.match(error.message, /twin/)
    const other = await cliJson(['app', 'create', ...db, '--name', 'twin-2'])
    const rename = await cliFails(1, ['app', 'update', ...db, other.id, '--name', 'twin', '--json'])
    assert.equal(jsonError(rename).code, 'CONFLICT')
    assert.equal((await cliJson(['app', 'show', ...db, 'twin'])).id, a.id)
    assert.equal((await cliJson(['app', 'show', ...db, 'twin-2'])).id, other.id)
  })

  test('update changes only the options given; --max-lifetime none removes the ceiling', async () => {
    const updated = await cliJson(['app', 'update', ...db, 'billing', '--max-lifetime', '12h', '--description', 'bills'])
    assert.equal(updated.maxTokenLifetime, 'PT12H')
    assert.equal(updated.description, 'bills')
    assert.deepEqual(updated.allowedScopes, ['apps:read', 'tokens:read'])
    const renamed = await cliJson(['app', 'update', ...db, 'billing', '--name', 'billing-2', '--max-lifetime', 'none'])
    assert.equal(renamed.name, 'billing-2')
    assert.equal(renamed.maxTokenLifetime, null)
    const root = await cliFails(1, ['app', 'update', ...db, 'root', '--scope', 'tokens:read'])
    assert.match(root.stderr, /--scope: the root app allows every declared scope/)
    const unknownScope = await cliFails(1, ['app', 'update', ...db, 'billing-2', '--scope', 'nope:nope'])
    assert.match(unknownScope.stderr, /--scope: .*nope:nope/)
  })

  test('disable stops issuing for the app; enable undoes it; the root app cannot be disabled', async () => {
    const disabled = await cliJson(['app', 'disable', ...db, 'billing-2'])
    assert.ok(disabled.disabledAt)
    const refused = await cliFails(1, ['token', 'issue', ...db, '--app', 'billing-2', '--name', 'x', '--scope', 'tokens:read'])
    assert.match(refused.stderr, /--app: .*disabled/)
    const enabled = await cli(['app', 'enable', ...db, 'billing-2'])
    assert.equal(enabled.code, 0, enabled.stderr)
    assert.match(enabled.stdout, /is enabled/)
    assert.equal((await cliJson(['app', 'show', ...db, 'billing-2'])).disabledAt, null)
    const root = await cliFails(1, ['app', 'disable', ...db, 'root'])
    assert.match(root.stderr, /root app cannot be disabled/)
  })
})
