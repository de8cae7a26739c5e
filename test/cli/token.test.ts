// `scopeward token ...` in process: every subcommand and its errors.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { BUILT_IN_SCOPES } from '../../src/domain/scope-rules.js'
import { assertIsoTimes, cli, cliFails, cliJson, freshDatabase, jsonError, type CliDatabase } from './harness.js'

const secretPart = (token: string) => token.slice(20)

describe('scopeward token', () => {
  let fx: CliDatabase
  let db: string[]
  before(async () => {
    fx = await freshDatabase()
    db = ['--db', fx.db]
  })
  after(() => fx.discard())

  const issue = (name: string, ...extra: string[]) => cliJson<{ token: any; secret: string }>(['token', 'issue', ...db, '--name', name, '--scope', 'tokens:read', ...extra])
  const listed = () => cliJson<any[]>(['token', 'list', ...db])

  test('issue prints the secret alone on stdout, and the id, expiry and a one-time warning on stderr', async () => {
    const run = await cli(['token', 'issue', ...db, '--name', 'ci', '--scope', 'tokens:read', '--expires-in', '30d'])
    assert.equal(run.code, 0, run.stderr)
    const secret = run.stdout.trim()
    assert.match(secret, /^swt_[A-Za-z0-9]{54}$/)
    const id = secret.slice(4, 20)
    assert.match(run.stderr, new RegExp(`Token ${id} "ci" of app root`))
    assert.match(run.stderr, /expires \d{4}-\d{2}-\d{2}T/)
    assert.match(run.stderr, /only time the secret is shown/)
  })

  test('issue --json is {token, secret} with the API field names and ISO times', async () => {
    const out = await issue('json-shape', '--expires-in', 'P30D')
    assert.match(out.secret, /^swt_/)
    assert.deepEqual(Object.keys(out).sort(), ['secret', 'token'])
    assert.deepEqual(out.token.app, { id: 'root', name: 'root' })
    assert.equal(out.token.status, 'ACTIVE')
    assert.deepEqual(out.token.scopes, ['tokens:read'])
    assert.equal(Date.parse(out.token.expiresAt) - Date.parse(out.token.createdAt), 30 * 86_400_000)
    assert.equal(out.token.lastUsedAt, null)
    assertIsoTimes(out)
  })

  test('issue and derive take --description; one too long is an error naming --description, and issues nothing', async () => {
    const out = await issue('described', '--description', 'nightly export job')
    assert.equal(out.token.description, 'nightly export job')
    const shown = await cliJson(['token', 'show', ...db, out.token.id])
    assert.equal(shown.description, 'nightly export job')
    const child = await cliJson(['token', 'derive', ...db, out.token.id, '--name', 'child', '--scope', 'tokens:read', '--description', 'the child'])
    assert.equal(child.token.description, 'the child')
    const before = (await listed()).length
    const tooLong = await cliFails(1, ['token', 'issue', ...db, '--name', 'x', '--scope', 'tokens:read', '--description', 'x'.repeat(501), '--json'])
    assert.equal(jsonError(tooLong).field, '--description')
    assert.equal((await listed()).length, before)
  })

  test('issue takes human and ISO durations alike: 12h, 15m, 1h30m, PT2H', async () => {
    for (const [text, ms] of [
      ['12h', 12 * 3_600_000],
      ['15m', 15 * 60_000],
      ['1h30m', 90 * 60_000],
      ['PT2H', 2 * 3_600_000],
    ] as const) {
      const { token } = await issue(`d-${text}`, '--expires-in', text)
      assert.equal(Date.parse(token.expiresAt) - Date.parse(token.createdAt), ms, text)
    }
  })

  test('a bad --expires-in is a usage error naming the flag, and issues nothing', async () => {
    const before = (await listed()).length
    for (const bad of ['forever', '15M', '-1d', '0s']) {
      const run = await cliFails(2, ['token', 'issue', ...db, '--name', 'x', '--scope', 'tokens:read', '--expires-in', bad])
      assert.match(run.stderr, /--expires-in/)
    }
    assert.equal((await listed()).length, before)
  })

  test('--name is required (exit 2), except for --root', async () => {
    const run = await cliFails(2, ['token', 'issue', ...db, '--scope', 'tokens:read'])
    assert.match(run.stderr, /--name/)
  })

  test('an unknown scope exits 1 naming --scope and the scope, and issues nothing', async () => {
    const before = (await listed()).length
    const run = await cliFails(1, ['token', 'issue', ...db, '--name', 'x', '--scope', 'nope:nope', '--json'])
    assert.equal(run.stdout, '')
    const error = jsonError(run)
    assert.equal(error.code, 'BAD_USER_INPUT')
    assert.equal(error.field, '--scope')
    assert.match(error.message, /^--scope: .*nope:nope/)
    assert.equal((await listed()).length, before)
  })

  test('an expiry shortened by the app ceiling is said on stderr; an explicit one beyond it is refused naming --expires-in', async () => {
    await cliJson(['app', 'create', ...db, '--name', 'short-lived', '--scope', 'tokens:read', '--max-lifetime', '7d'])
    const run = await cli(['token', 'issue', ...db, '--app', 'short-lived', '--name', 'x', '--scope', 'tokens:read'])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /shortened to P7D/)
    const refused = await cliFails(1, ['token', 'issue', ...db, '--app', 'short-lived', '--name', 'x', '--scope', 'tokens:read', '--expires-in', '30d'])
    assert.match(refused.stderr, /--expires-in: 30d exceeds the maximum token lifetime of P7D/)
  })

  test('--root alone holds every built-in scope and honours --name; with --scope/--subject/--expires-in/--app it exits 2 and issues nothing', async () => {
    const out = await cliJson(['token', 'issue', ...db, '--root', '--name', 'break-glass'])
    assert.equal(out.token.app.id, 'root')
    assert.equal(out.token.name, 'break-glass')
    assert.deepEqual([...out.token.scopes].sort(), BUILT_IN_SCOPES.map((s) => s.name).sort())
    for (const extra of [
      ['--scope', 'tokens:read'],
      ['--subject', 'alice'],
      ['--expires-in', 'PT1H'],
      ['--app', 'root'],
    ]) {
      const before = (await listed()).length
      const run = await cliFails(2, ['token', 'issue', ...db, '--root', ...extra])
      assert.match(run.stderr, new RegExp(`cannot be combined with ${extra[0]}`))
      assert.equal((await listed()).length, before)
    }
  })

  test('list pages through every token (no cap at one page) and never shows a secret or hash', async () => {
    const more = 105
    for (let i = 0; i < more; i++) await cli(['token', 'issue', ...db, '--name', `bulk-${i}`, '--scope', 'tokens:read'])
    const rows = await listed()
    assert.ok(rows.length > 100 + 5, `${rows.length} rows`)
    assert.equal(rows.filter((t) => t.name.startsWith('bulk-')).length, more)
    assert.ok(rows.every((t) => !('secretHash' in t) && !('secret' in t)))
    assertIsoTimes(rows)
  })

  test('list filters by app name, status (case-insensitive) and subject', async () => {
    await cliJson(['token', 'issue', ...db, '--name', 'alice-t', '--scope', 'tokens:read', '--subject', 'alice'])
    const bySubject = await cliJson<any[]>(['token', 'list', ...db, '--subject', 'alice'])
    assert.deepEqual(
      bySubject.map((t) => t.name),
      ['alice-t'],
    )
    const byApp = await cliJson<any[]>(['token', 'list', ...db, '--app', 'short-lived', '--status', 'active'])
    assert.ok(byApp.length >= 1 && byApp.every((t) => t.app.name === 'short-lived' && t.status === 'ACTIVE'))
  })

  test('list shows a table with names beside ids and a LAST USED column', async () => {
    const run = await cli(['token', 'list', ...db, '--app', 'root'])
    assert.equal(run.code, 0, run.stderr)
    const [header] = run.stdout.split('\n')
    assert.match(header as string, /^ID +NAME +APP +STATUS +SCOPES +EXPIRES +LAST USED$/)
    assert.match(run.stdout, /break-glass +root +ACTIVE/)
  })

  test('show finds a token by id or by the full token, and never prints the secret', async () => {
    const { token, secret } = await issue('shown')
    for (const ref of [token.id, secret]) {
      const shown = await cliJson(['token', 'show', ...db, ref])
      assert.equal(shown.id, token.id)
      assert.equal(shown.name, 'shown')
      const text = await cli(['token', 'show', ...db, ref])
      assert.equal(text.code, 0)
      assert.match(text.stdout, /Name +shown/)
      assert.ok(!text.stdout.includes(secretPart(secret)) && !text.stderr.includes(secretPart(secret)))
    }
    const missing = await cliFails(1, ['token', 'show', ...db, 'Zz9Zz9Zz9Zz9Zz9Z', '--json'])
    assert.equal(jsonError(missing).code, 'NOT_FOUND')
  })

  test('rotate prints a new secret; the old token is revoked at once, or after --grace', async () => {
    const { token } = await issue('rotated')
    const rotated = await cliJson(['token', 'rotate', ...db, token.id])
    assert.notEqual(rotated.token.id, token.id)
    assert.equal(rotated.token.name, 'rotated')
    assert.match(rotated.secret, /^swt_/)
    assert.equal((await cliJson(['token', 'show', ...db, token.id])).status, 'REVOKED')
    const graced = await cliJson(['token', 'rotate', ...db, rotated.token.id, '--grace', '1h'])
    assert.equal((await cliJson(['token', 'show', ...db, rotated.token.id])).status, 'ACTIVE')
    assert.ok(graced.token.id)
    const tooLong = await cliFails(1, ['token', 'rotate', ...db, graced.token.id, '--grace', '25h'])
    assert.match(tooLong.stderr, /--grace: at most PT24H/)
    // Revoking the successor ends the grace: list --status says so, as show does.
    await cliJson(['token', 'revoke', ...db, graced.token.id])
    assert.equal((await cliJson(['token', 'show', ...db, rotated.token.id])).status, 'REVOKED')
    const ids = async (status: string) => (await cliJson<any[]>(['token', 'list', ...db, '--status', status])).map((t) => t.id)
    assert.ok((await ids('revoked')).includes(rotated.token.id), 'listed under --status revoked')
    assert.ok(!(await ids('active')).includes(rotated.token.id), 'not under --status active')
  })

  test('derive makes a narrower child of a token that dies with it; a wider scope is refused naming --scope', async () => {
    const parent = await cliJson(['token', 'issue', ...db, '--name', 'parent', '--scope', 'tokens:read,apps:read', '--expires-in', '2h'])
    const child = await cliJson(['token', 'derive', ...db, parent.token.id, '--name', 'child', '--scope', 'apps:read'])
    assert.deepEqual(child.token.scopes, ['apps:read'])
    assert.deepEqual(child.token.parent, { id: parent.token.id })
    assert.ok(Date.parse(child.token.expiresAt) <= Date.parse(parent.token.expiresAt))
    const wider = await cliFails(1, ['token', 'derive', ...db, parent.token.id, '--name', 'x', '--scope', 'tokens:write'])
    assert.match(wider.stderr, /--scope: .*tokens:write/)
    const longer = await cliFails(1, ['token', 'derive', ...db, parent.token.id, '--name', 'x', '--scope', 'apps:read', '--expires-in', '3h'])
    assert.match(longer.stderr, /--expires-in: a derived token may not outlive its parent/)
    const missing = await cliFails(2, ['token', 'derive', ...db, parent.token.id, '--name', 'x'])
    assert.match(missing.stderr, /--scope/)
    const revoked = await cliJson(['token', 'revoke', ...db, parent.token.id])
    assert.deepEqual(new Set(revoked.revokedIds), new Set([parent.token.id, child.token.id]))
  })

  test('trim --dry-run reports what an unused token would lose and changes nothing', async () => {
    const { token } = await issue('trimmed', '--scope', 'apps:read')
    const dry = await cliJson(['token', 'trim', ...db, token.id, '--dry-run'])
    assert.equal(dry.dryRun, true)
    assert.deepEqual(dry.removedScopes.sort(), ['apps:read', 'tokens:read'])
    assert.deepEqual((await cliJson(['token', 'show', ...db, token.id])).scopes, ['apps:read', 'tokens:read'])
    const real = await cliFails(1, ['token', 'trim', ...db, token.id])
    assert.match(real.stderr, /has used none of its scopes; revoke it instead/)
    const badWindow = await cliFails(2, ['token', 'trim', ...db, token.id, '--unused-for', 'soon'])
    assert.match(badWindow.stderr, /--unused-for/)
  })

  test('revoke takes an id or the full token and never echoes the secret; a wrong secret is not found, unechoed', async () => {
    const a = await issue('revoke-by-id')
    const byId = await cli(['token', 'revoke', ...db, a.token.id, '--reason', 'test'])
    assert.equal(byId.code, 0, byId.stderr)
    assert.match(byId.stdout, new RegExp(`revoked 1 token\\(s\\): ${a.token.id}`))
    const b = await issue('revoke-by-secret')
    const bySecret = await cli(['token', 'revoke', ...db, b.secret])
    assert.equal(bySecret.code, 0, bySecret.stderr)
    assert.ok(bySecret.stdout.includes(b.token.id) && !`${bySecret.stdout}${bySecret.stderr}`.includes(secretPart(b.secret)))
    const c = await issue('revoke-forged')
    const forged = c.secret.slice(0, -4) + (c.secret.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    const wrong = await cliFails(1, ['token', 'revoke', ...db, forged])
    assert.match(wrong.stderr, /not found/)
    assert.ok(!wrong.stderr.includes(secretPart(forged)))
    assert.equal((await cliJson(['token', 'show', ...db, c.token.id])).status, 'ACTIVE')
    const again = await cliJson(['token', 'revoke', ...db, a.token.id])
    assert.deepEqual(again.revokedIds, [])
    assert.equal(again.token.status, 'REVOKED')
    assertIsoTimes(again)
  })

  test('a usage error quoting a secret does not print it back', async () => {
    const { secret } = await issue('pasted')
    const run = await cliFails(2, ['token', 'list', ...db, secret])
    assert.ok(!run.stderr.includes(secretPart(secret)), run.stderr)
  })
})
