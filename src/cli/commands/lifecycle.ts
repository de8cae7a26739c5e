import { operatorCall } from '../operator.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Command } from 'commander'
import { initialize } from '../../domain/initialize.js'
import { packageRoot } from '../../package-root.js'
import type { CliIo } from '../io.js'
import { databaseOf, withDomain } from '../open-domain.js'
import { dbOption, examples, jsonOption } from '../options.js'
import { createOutput } from '../output.js'

/** The newest migration shipped for the database kind `db` names. */
function latestMigration(db: string): string {
  const dialect = /^postgres(ql)?:\/\//.test(db) ? 'postgres' : 'sqlite'
  const journal = JSON.parse(readFileSync(join(packageRoot(), 'drizzle', dialect, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] }
  return journal.entries[journal.entries.length - 1]?.tag ?? '(none)'
}

/** `scopeward init`, `serve` and `migrate`: the commands that create or upgrade a database. */
export function lifecycleCommands(io: CliIo): Command[] {
  const init = examples(
    new Command('init')
      .description('create the database, the built-in scopes, the root app and a root token (printed once)')
      .addOption(dbOption())
      .option('--no-expiry', 'a root token that never expires (default: it expires in 90 days)')
      .option('--json', 'print {"rootToken": "..."} on stdout'),
    ['scopeward init --db ./data/scopeward.db', 'ROOT=$(scopeward init --json | jq -r .rootToken)'],
  ).action(async (opts: { db?: string; json?: boolean; expiry: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db, create: true }, async ({ domain, label }) => {
      const { rootToken } = await initialize(domain, operatorCall(), { noExpiry: !opts.expiry })
      out.result({ rootToken }, () => `Initialised ${label}. Root token (shown once, store it now):\n\n  ${rootToken}\n`)
    })
  })

  const serveCommand = examples(
    new Command('serve')
      .description('apply pending migrations and serve the API (initialises an empty database, printing its root token once)')
      .addOption(dbOption())
      .option('--port <n>', 'port (default: $PORT, else 4000)')
      .option('--host <h>', 'interface (default: $HOST, else 127.0.0.1)'),
    ['scopeward serve --db ./data/scopeward.db --port 4000', 'SCOPEWARD_DB=postgres://scopeward@db/scopeward scopeward serve --host 0.0.0.0'],
    // The server (Apollo, Fastify) is loaded only to serve: every other command starts without it.
  ).action(async (opts: { db?: string; port?: string; host?: string }) => (await import('../serve.js')).serve(opts, io))

  const migrate = examples(new Command('migrate').description('apply pending database migrations, and say which').addOption(dbOption()).addOption(jsonOption()), [
    'scopeward migrate --db postgres://scopeward@db/scopeward',
  ]).action(async (opts: { db?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db, create: true }, ({ label, migrated }) => {
      const latest = latestMigration(databaseOf(io, opts.db))
      out.result({ database: label, applied: migrated, schema: latest }, () =>
        migrated ? `migrations applied to ${label}: the schema is now at ${latest}` : `${label} is up to date (schema ${latest}): nothing applied`,
      )
    })
  })

  return [init, serveCommand, migrate]
}
