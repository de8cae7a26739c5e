// A few end-to-end runs of the real `scopeward` process (main.ts over run.ts): exit codes reach
// the shell, stdout and stderr are the process's own. Every command and error is covered in
// process by test/cli/*.test.ts; these check only what needs a real process.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startChildServer } from '../hardening/child-server.js'
import { runCli, type CliRun } from './run-cli.js'

const cli = (...args: string[]) => runCli({}, ...args)

function assertNoStack(run: CliRun): void {
  assert.doesNotMatch(run.stderr, /\n\s+at /)
}

// Each process start costs seconds on a loaded machine: after init, the runs go side by side.
describe('the scopeward process', { concurrency: true }, () => {
  let dir: string
  let db: string
  let rootToken: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scopeward-cli-e2e-'))
    db = join(dir, 'cli.db')
    const init = await cli('init', '--db', db, '--json')
    assert.equal(init.code, 0, init.stderr)
    rootToken = JSON.parse(init.stdout).rootToken
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('init --json prints {"rootToken"} and exits 0; a second init exits 1 with a message, no stack', async () => {
    assert.match(rootToken, /^swt_[A-Za-z0-9]{54}$/)
    const again = await cli('init', '--db', db)
    assert.equal(again.code, 1)
    assert.equal(again.stdout, '')
    assert.match(again.stderr, /already initiali[sz]ed/i)
    assertNoStack(again)
  })

  test('token issue prints only the secret on stdout: $(scopeward token issue ...) captures it', async () => {
    const run = await cli('token', 'issue', '--db', db, '--name', 'ci', '--scope', 'tokens:read')
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^swt_[A-Za-z0-9]{54}\n$/)
    assert.match(run.stderr, /only time the secret is shown/)
  })

  test('a usage error exits 2; --help exits 0 with usage on stdout', async () => {
    const bad = await cli('token', 'list', '--db', db, '--bogus')
    assert.equal(bad.code, 2, bad.stderr)
    assert.match(bad.stderr, /unknown option '--bogus'/)
    const help = await cli('token', 'issue', '--help')
    assert.equal(help.code, 0, help.stderr)
    assert.match(help.stdout, /Usage: scopeward token issue/)
  })

  test('a read-only command on a missing database exits 1 naming it and creates nothing', async () => {
    const missing = join(dir, 'absent', 'x.db')
    const run = await cli('token', 'list', '--db', missing)
    assert.equal(run.code, 1)
    assert.match(run.stderr, /absent\/x\.db does not exist/)
    assert.equal(existsSync(join(dir, 'absent')), false)
  })

  test('serve says which database it serves, then stops on SIGTERM with exit 0', async () => {
    const served = join(dir, 'served.db')
    const server = await startChildServer(served)
    try {
      assert.match(server.stderr(), new RegExp(`Scopeward database: ${served.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`))
      assert.match(server.rootToken ?? '', /^swt_/)
    } finally {
      server.child.kill('SIGTERM')
    }
    assert.equal((await server.exited).code, 0)
  })
})
