// The command line, run as a child process: exit codes 0 (done), 1 (error, on stderr), 2 (usage).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'

const ROOT = resolve(import.meta.dirname, '../..')

interface Run {
  code: number
  stdout: string
  stderr: string
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, SCOPEWARD_DB: '' }, timeout: 30_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
    })
  })
}

function assertNoStack(run: Run): void {
  assert.doesNotMatch(run.stderr, /\n\s+at /)
}

describe('command line', () => {
  let dir: string
  let db: string
  let rootToken: string

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scopeward-cli-'))
    db = join(dir, 'cli.db')
    const init = await cli('init', '--db', db, '--json')
    assert.equal(init.code, 0, init.stderr)
    rootToken = JSON.parse(init.stdout).rootToken
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  const listTokens = async () => {
    const run = await cli('token', 'list', '--db', db, '--json')
    assert.equal(run.code, 0, run.stderr)
    return JSON.parse(run.stdout) as { id: string; status: string; secretHash?: unknown }[]
  }

  test('init --json prints only {"rootToken": ...} with a well-formed token', () => {
    assert.match(rootToken, /^swt_[A-Za-z0-9]{54}$/)
  })

  test('a second init exits 1 with a clear message on stderr and changes nothing', async () => {
    const before = await listTokens()
    const again = await cli('init', '--db', db, '--json')
    assert.equal(again.code, 1)
    assert.equal(again.stdout, '')
    assert.match(again.stderr, /already initiali[sz]ed/i)
    assertNoStack(again)
    assert.deepEqual(await listTokens(), before)
  })

  test('token issue --json prints the secret once and token list shows it without the secret or hash', async () => {
    const issued = await cli('token', 'issue', '--db', db, '--app', 'root', '--scope', 'tokens:read', '--json')
    assert.equal(issued.code, 0, issued.stderr)
    const out = JSON.parse(issued.stdout)
    assert.match(out.secret, /^swt_/)
    assert.deepEqual(out.scopes, ['tokens:read'])
    const run = await cli('token', 'list', '--db', db, '--json')
    const row = (JSON.parse(run.stdout) as any[]).find((t) => t.id === out.id)
    assert.equal(row.status, 'ACTIVE')
    assert.ok(!('secretHash' in row))
    assert.ok(!run.stdout.includes(out.secret.slice(20, 52)))
    const text = await cli('token', 'list', '--db', db)
    assert.equal(text.code, 0)
    assert.match(text.stdout, new RegExp(out.id))
  })

  test('token issue refuses an unknown scope with exit 1 on stderr and issues nothing', async () => {
    const before = await listTokens()
    const run = await cli('token', 'issue', '--db', db, '--app', 'root', '--scope', 'nope:nope', '--json')
    assert.equal(run.code, 1)
    assert.equal(run.stdout, '')
    assert.match(run.stderr, /nope:nope/)
    assertNoStack(run)
    assert.equal((await listTokens()).length, before.length)
  })

  test('11.17 token issue --root refuses --scope, --subject, --expires-in and --app (exit 2) and issues nothing', async () => {
    const audits = () => {
      const sqlite = new Database(db, { readonly: true })
      try {
        return (sqlite.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n
      } finally {
        sqlite.close()
      }
    }
    for (const extra of [['--scope', 'tokens:read'], ['--subject', 'alice'], ['--expires-in', 'PT1H'], ['--app', 'root'], ['--scope', 'tokens:read', '--expires-in', 'PT1H']]) {
      const [tokens, events] = [await listTokens(), audits()]
      const run = await cli('token', 'issue', '--db', db, '--root', ...extra, '--json')
      assert.equal(run.code, 2, run.stderr)
      assert.equal(run.stdout, '')
      assert.match(run.stderr, new RegExp(`cannot be combined with ${extra.filter((a) => a.startsWith('--')).join(', ')}`))
      assertNoStack(run)
      assert.deepEqual(await listTokens(), tokens)
      assert.equal(audits(), events)
    }
  })

  test('11.17 token issue --root alone holds every built-in scope, and honours --name', async () => {
    const run = await cli('token', 'issue', '--db', db, '--root', '--name', 'break-glass', '--json')
    assert.equal(run.code, 0, run.stderr)
    const row = (await listTokens()).find((t) => t.id === JSON.parse(run.stdout).id) as unknown as { appId: string; name: string; scopes: string[] }
    assert.equal(row.appId, 'root')
    assert.equal(row.name, 'break-glass')
    assert.equal(row.scopes.length, 10)
  })

  test('token revoke revokes, and an unknown id exits 1', async () => {
    const issued = JSON.parse((await cli('token', 'issue', '--db', db, '--scope', 'tokens:read', '--json')).stdout)
    const revoked = await cli('token', 'revoke', issued.id, '--db', db, '--reason', 'test')
    assert.equal(revoked.code, 0, revoked.stderr)
    assert.match(revoked.stdout, new RegExp(issued.id))
    assert.equal((await listTokens()).find((t) => t.id === issued.id)?.status, 'REVOKED')
    const missing = await cli('token', 'revoke', 'Zz9Zz9Zz9Zz9Zz9Z', '--db', db)
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /not found/)
    assertNoStack(missing)
  })

  test('app create and app list', async () => {
    const created = await cli('app', 'create', '--db', db, '--name', 'billing', '--scope', 'tokens:read', '--max-lifetime', 'P30D', '--json')
    assert.equal(created.code, 0, created.stderr)
    const app = JSON.parse(created.stdout)
    assert.deepEqual(app.allowedScopes, ['tokens:read'])
    const listed = await cli('app', 'list', '--db', db, '--json')
    assert.equal(listed.code, 0)
    assert.ok((JSON.parse(listed.stdout) as any[]).some((a) => a.id === app.id))
    const text = await cli('app', 'list', '--db', db)
    assert.match(text.stdout, /billing/)
  })

  test('app create refuses a bad duration with exit 1', async () => {
    const run = await cli('app', 'create', '--db', db, '--name', 'x', '--max-lifetime', 'forever')
    assert.equal(run.code, 1)
    assert.match(run.stderr, /maxTokenLifetime/)
    assertNoStack(run)
  })

  test('migrate exits 0', async () => {
    const run = await cli('migrate', '--db', db)
    assert.equal(run.code, 0, run.stderr)
  })

  test('commands on an uninitialised database exit 1 and say to run init', async () => {
    const run = await cli('token', 'list', '--db', join(dir, 'empty.db'))
    assert.equal(run.code, 1)
    assert.match(run.stderr, /init/)
  })
})

// Usage and help touch no database: run them side by side.
describe('command line usage', { concurrency: true }, () => {
  for (const args of [['--help'], ['token', '--help'], ['token', 'issue', '--help'], ['app', 'create', '--help'], ['init', '--help']]) {
    test(`${args.join(' ')} exits 0 and prints usage`, async () => {
      const run = await cli(...args)
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, /Usage:/)
    })
  }

  for (const args of [['token', 'list', '--db', 'x', '--bogus'], ['nonsense'], ['token', 'list', '--status', 'DELETED'], ['token', 'revoke'], ['app', 'create']]) {
    test(`${args.join(' ')} is a usage error: exit 2`, async () => {
      const run = await cli(...args)
      assert.equal(run.code, 2, `${run.stdout}${run.stderr}`)
      assert.notEqual(run.stderr, '')
    })
  }
})
