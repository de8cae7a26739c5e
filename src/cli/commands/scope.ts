import { Command } from 'commander'
import { createScope } from '../../domain/create-scope.js'
import type { CliIo } from '../io.js'
import { withDomain } from '../open-domain.js'
import { operatorCall } from '../operator.js'
import { asFlags, collect, dbOption, examples, jsonOption } from '../options.js'
import { createOutput } from '../output.js'
import { scopeJson } from '../present.js'

const FIELDS = { name: '<name>', description: '--description', implies: '--implies' }

/** `scopeward scope declare|list`. */
export function scopeCommands(io: CliIo): Command {
  const scope = new Command('scope').description('declare and list scopes')

  examples(
    scope
      .command('declare')
      .description('declare a scope (instance-wide); what it implies must already be declared')
      .argument('<name>', 'scope name, e.g. invoices:read')
      .addOption(dbOption())
      .requiredOption('--description <text>', 'what holding it allows (required)')
      .option('--implies <scopes>', 'scopes held by whoever holds this one (repeat, or comma-separated)', collect)
      .addOption(jsonOption()),
    ['scopeward scope declare invoices:read --description "read invoices"', 'scopeward scope declare invoices:write --description "change invoices" --implies invoices:read'],
  ).action(async (name: string, opts: { db?: string; description: string; implies?: string[]; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const created = await asFlags(FIELDS, () => createScope(domain, operatorCall(), { name, description: opts.description, implies: opts.implies ?? [] }))
      out.result(scopeJson(created), () => `declared scope ${created.name}${created.implies.length ? ` (implies ${created.implies.join(', ')})` : ''}`)
    })
  })

  examples(scope.command('list').description('list every declared scope').addOption(dbOption()).addOption(jsonOption()), ['scopeward scope list']).action(
    async (opts: { db?: string; json?: boolean }) => {
      const out = createOutput(io, !!opts.json)
      await withDomain(io, { db: opts.db }, ({ domain }) => {
        const rows = domain.catalogue.all.map(scopeJson)
        out.result(rows, () =>
          out.table(
            ['NAME', 'IMPLIES', 'BUILT-IN', 'DESCRIPTION'],
            rows.map((s) => [s.name, s.implies.join(',') || '-', s.builtIn ? 'yes' : 'no', s.description]),
          ),
        )
      })
    },
  )

  return scope
}
