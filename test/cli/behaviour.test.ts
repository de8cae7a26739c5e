// What every command shares: --json shapes and JSON errors, exit codes, tables and colour, help,
// databases that are never created by reading, human durations, shell completion.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Command } from 'commander'
import { loadConfig } from '../../src/config.js'
import { parseDuration } from '../../src/domain/duration.js'
import { buildProgram } from '../../src/cli/run.js'
import { renderTable } from '../../src/cli/output.js'
import { assertIsoTimes, cli, cliFails, cliJson, freshDatabase, jsonError, type CliDatabase } from './harness.js'

const leaves = (command: Command, path: string[] = []): string[][] => (command.commands.length === 0 ? [path] : command.commands.flatMap((c) => leaves(c, [...path, c.name()])))
const program = () => buildProgram({ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, isTTY: false }, () => undefined)

describe('every command', () => {
  let fx: CliDatabase
  let db: string[]
  before(async () => {
    fx = await freshDatabase()
    db = ['--db', fx.db]
  })
  after(() => fx.discard())

  test('--json on every command prints JSON with ISO times (never epoch ms, never "-")', async () => {
    const app = await cliJson(['app', 'create', ...db, '--name', 'shapes', '--scope', 'tokens:read,apps:read', '--max-lifetime', '30d'])
    const issued = await cliJson(['token', 'issue', ...db, '--app', 'shapes', '--name', 'shape', '--scope', 'tokens:read,apps:read'])
    const secret = await cliJson(['client-secret', 'create', ...db, '--app', 'shapes'])
    const id = issued.token.id
    const runs: string[][] = [
      ['token', 'list'],
      ['token', 'show', id],
      ['token', 'trim', id, '--dry-run'],
      ['token', 'derive', id, '--name', 'c', '--scope', 'apps:read'],
      ['token', 'rotate', id],
      ['app', 'list'],
      ['app', 'show', 'shapes'],
      ['app', 'update', app.id, '--description', 'd'],
      ['app', 'disable', 'shapes'],
      ['app', 'enable', 'shapes'],
      ['scope', 'declare', 'shape:read', '--description', 'd'],
      ['scope', 'list'],
      ['client-secret', 'list', '--app', 'shapes'],
      ['client-secret', 'revoke', secret.id],
      ['keys', 'rotate'],
      ['keys', 'list'],
      ['audit', 'list'],
      ['audit', 'verify'],
      ['audit', 'head'],
      ['report'],
      ['migrate'],
      ['token', 'revoke', id],
    ]
    for (const args of runs) {
      const out = await cliJson([...args, ...db])
      assert.notEqual(out, undefined, args.join(' '))
      assertIsoTimes(out, args.join(' '))
      // An audit event's `details` is its recorded payload, verbatim (the chain hashes it), as the API serves it.
      const withoutDetails = JSON.stringify(out, (key, value: unknown) => (key === 'details' ? undefined : value))
      assert.doesNotMatch(withoutDetails, /"[A-Za-z]*At":\d/, `${args.join(' ')}: epoch milliseconds`)
    }
  })

  test('errors with --json are one JSON object on stderr with a code; stdout stays empty', async () => {
    const notFound = await cliFails(1, ['token', 'show', ...db, 'Zz9Zz9Zz9Zz9Zz9Z', '--json'])
    assert.equal(notFound.stdout, '')
    assert.deepEqual(Object.keys(jsonError(notFound)), ['code', 'message'])
    assert.equal(jsonError(notFound).code, 'NOT_FOUND')
    const usage = await cliFails(2, ['token', 'list', ...db, '--bogus', '--json'])
    assert.equal(jsonError(usage).code, 'USAGE')
    assert.match(jsonError(usage).message, /unknown option '--bogus'/)
  })

  test('exit codes: 0 done, 1 error, 2 usage (unknown command, flag, choice, missing argument, no command)', async () => {
    assert.equal((await cli(['token', 'list', ...db])).code, 0)
    await cliFails(1, ['token', 'revoke', ...db, 'Zz9Zz9Zz9Zz9Zz9Z'])
    for (const args of [['nonsense'], ['token', 'list', '--bogus'], ['token', 'list', '--status', 'DELETED'], ['token', 'revoke'], ['app', 'create'], [], ['completion', 'fish']]) {
      const run = await cliFails(2, args)
      assert.notEqual(run.stderr, '', args.join(' '))
    }
  })

  test('choices are case-insensitive', async () => {
    for (const status of ['active', 'Active', 'ACTIVE']) assert.equal((await cli(['token', 'list', ...db, '--status', status])).code, 0, status)
    assert.equal((await cli(['completion', 'BASH'])).code, 0)
  })

  test('tables fit the terminal: long cells end in an ellipsis, ids are never cut', async () => {
    await cliJson(['token', 'issue', ...db, '--name', 'a-very-long-token-name-that-will-not-fit-in-a-narrow-terminal', '--scope', 'tokens:read'])
    const run = await cli(['token', 'list', ...db], { columns: 80 })
    const lines = run.stdout.trimEnd().split('\n')
    assert.ok(
      lines.every((l) => [...l].length <= 80),
      lines.join('\n'),
    )
    assert.match(run.stdout, /…/)
    const wide = await cli(['token', 'list', ...db])
    assert.match(wide.stdout, /a-very-long-token-name-that-will-not-fit-in-a-narrow-terminal/)
    assert.equal(renderTable(['ID', 'NAME'], [['0123456789abcdef', 'x'.repeat(40)]], { width: 30 }).split('\n')[1], `0123456789abcdef  ${'x'.repeat(11)}…`)
  })

  test('colour only on a terminal, and never with NO_COLOR', async () => {
    const esc = /\u001b\[/
    assert.doesNotMatch((await cli(['token', 'list', ...db])).stdout, esc)
    assert.match((await cli(['token', 'list', ...db], { isTTY: true })).stdout, esc)
    assert.doesNotMatch((await cli(['token', 'list', ...db], { isTTY: true, env: { NO_COLOR: '1' } })).stdout, esc)
    assert.doesNotMatch((await cli(['token', 'list', ...db, '--json'], { isTTY: true })).stdout, esc)
  })

  test('progress goes to stderr, only on a terminal', async () => {
    assert.equal((await cli(['token', 'list', ...db])).stderr, '')
    assert.match((await cli(['token', 'list', ...db], { stderrIsTTY: true })).stderr, /tokens: \d+/)
  })

  test('every command has --help with examples, marks required options, and states each default once', async () => {
    for (const path of leaves(program())) {
      const help = await cli([...path, '--help'], { columns: 200 })
      assert.equal(help.code, 0, path.join(' '))
      assert.match(help.stdout, /Examples:\n {2}\$ .*scopeward /, `${path.join(' ')} has examples`)
      for (const line of help.stdout.split('\n')) assert.ok((line.match(/default/g) ?? []).length <= 1, `${path.join(' ')}: ${line}`)
    }
    assert.match((await cli(['token', 'derive', '--help'], { columns: 200 })).stdout, /--name <name> +name of the child \(required\)/)
    assert.match((await cli(['report', '--help'], { columns: 200 })).stdout, /\(default: "30d"\)/)
  })

  test('read-only commands on a missing database exit 1 naming the path and create nothing', async () => {
    const missing = join(fx.dir, 'nowhere', 'scopeward.db')
    const readOnly = [
      ['token', 'list'],
      ['token', 'show', 'Zz9Zz9Zz9Zz9Zz9Z'],
      ['app', 'list'],
      ['app', 'show', 'x'],
      ['scope', 'list'],
      ['client-secret', 'list', '--app', 'x'],
      ['keys', 'list'],
      ['audit', 'list'],
      ['audit', 'export'],
      ['audit', 'verify'],
      ['audit', 'head'],
      ['report'],
    ]
    for (const args of readOnly) {
      const run = await cliFails(1, [...args, '--db', missing])
      assert.match(run.stderr, /nowhere\/scopeward\.db does not exist/, args.join(' '))
    }
    const viaEnv = await cliFails(1, ['token', 'list'], { env: { SCOPEWARD_DB: missing } })
    assert.match(viaEnv.stderr, /nowhere\/scopeward\.db does not exist/)
    assert.equal(existsSync(join(fx.dir, 'nowhere')), false)
  })

  test('an unreachable PostgreSQL database is named, its password redacted', async () => {
    const run = await cliFails(1, ['token', 'list', '--db', 'postgres://scopeward:hunter2@127.0.0.1:1/scopeward', '--json'])
    const error = jsonError(run)
    assert.match(error.message, /postgres:\/\/scopeward:\*\*\*@127\.0\.0\.1:1\/scopeward/)
    assert.ok(!run.stderr.includes('hunter2'))
  })

  test('durations in human form everywhere: flags, settings, the parser the API Duration scalar uses', async () => {
    assert.equal(parseDuration('30d', 'x'), 30 * 86_400_000)
    assert.equal(parseDuration('2w', 'x'), 14 * 86_400_000)
    assert.equal(parseDuration('1d12h', 'x'), 36 * 3_600_000)
    assert.equal(parseDuration('90s', 'x'), 90_000)
    assert.equal(loadConfig({}, { SCOPEWARD_MAX_TOKEN_LIFETIME: '30d' }).maxTokenLifetimeMs, 30 * 86_400_000)
    assert.throws(() => loadConfig({}, { SCOPEWARD_MAX_TOKEN_LIFETIME: '30 days' }), /SCOPEWARD_MAX_TOKEN_LIFETIME/)
    const capped = await cliFails(1, ['token', 'issue', ...db, '--name', 'x', '--scope', 'tokens:read', '--expires-in', '60d'], { env: { SCOPEWARD_MAX_TOKEN_LIFETIME: '30d' } })
    assert.match(capped.stderr, /--expires-in: 60d exceeds the maximum token lifetime of P30D/)
    const badSetting = await cliFails(1, ['token', 'list', ...db], { env: { SCOPEWARD_MAX_TOKEN_LIFETIME: 'a month' } })
    assert.match(badSetting.stderr, /SCOPEWARD_MAX_TOKEN_LIFETIME/)
  })

  test('completion prints bash and zsh scripts naming every command; the bash one parses', async () => {
    const bash = await cli(['completion', 'bash'])
    assert.equal(bash.code, 0)
    for (const word of ['token', 'client-secret', 'audit', 'rotate', 'derive', '--expires-in', 'complete -o default -F _scopeward scopeward'])
      assert.ok(bash.stdout.includes(word), word)
    const file = join(fx.dir, 'scopeward.bash')
    writeFileSync(file, bash.stdout)
    const parsed = spawnSync('bash', ['-n', file], { encoding: 'utf8' })
    assert.equal(parsed.status, 0, parsed.stderr)
    const zsh = await cli(['completion', 'zsh'])
    assert.match(zsh.stdout, /^#compdef scopeward/)
    assert.match(zsh.stdout, /'issue:issue a token/)
  })
})
