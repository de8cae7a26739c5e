// A few end-to-end runs of the real `scopeward` process (main.ts over run.ts): exit codes reach
// the shell, stdout and stderr are the process's own. Every command and error is covered in
// process by test/cli/*.test.ts; these check only what needs a real process.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { spawn } from 'node:child_process'
import { ROOT } from '../hardening/child-server.js'
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

  test('serve says which database it serves, then stops on SIGTERM with exit 0', { timeout: 180_000 }, async (t) => {
    const served = join(dir, 'served.db')
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--db', served, '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, SCOPEWARD_DB: '', PORT: '', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
    // A test that times out (a loaded machine) still ends its server: the wait below then ends too.
    t.signal.addEventListener('abort', () => child.kill('SIGKILL'))
    let stderr = ''
    try {
      // Waits for the banner or the exit, whichever comes first: no timer of its own, the test's timeout bounds it.
      await new Promise<void>((done) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8')
          if (/listening on http/.test(stderr)) done()
        })
        void exited.then(() => done())
      })
      assert.match(stderr, /Scopeward database: .*served\.db\n/)
      assert.match(stderr, /Root token/)
      child.kill('SIGTERM')
      assert.equal(await exited, 0, stderr)
    } finally {
      // Never leave a server behind, whatever failed above.
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
