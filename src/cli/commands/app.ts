import { Command, InvalidArgumentError } from 'commander'
import { createApp, disableApp, updateApp, type AppInput } from '../../domain/apps.js'
import { parseDuration } from '../../domain/duration.js'
import { enableApp } from '../../domain/enable-app.js'
import { encodeCursor } from '../../domain/pagination.js'
import { listApps } from '../../domain/queries.js'
import { resolveApp } from '../../domain/resolve-app.js'
import type { CliIo } from '../io.js'
import type { AppRecord } from '../model.js'
import { withDomain } from '../open-domain.js'
import { operatorActor, operatorCall } from '../operator.js'
import { asFlags, collect, dbOption, durationOption, examples, jsonOption } from '../options.js'
import { createOutput, when, type Output } from '../output.js'
import { appJson } from '../present.js'

const FIELDS = { name: '--name', description: '--description', allowedScopes: '--scope', maxTokenLifetime: '--max-lifetime', audiences: '--audience', id: '<app>' }

/** `scopeward app create|list|show|update|disable|enable`; apps are named by id or by (unique) name. */
export function appCommands(io: CliIo): Command {
  const app = new Command('app').description('create, inspect, change, disable and enable apps')

  examples(
    app
      .command('create')
      .description('create an app: the ceiling of the scopes its tokens may hold')
      .addOption(dbOption())
      .requiredOption('--name <name>', 'app name (required)')
      .option('--description <text>', 'what the app is')
      .option('--scope <scopes>', 'allowed scope (repeat, or comma-separated)', collect)
      .addOption(durationOption('--max-lifetime <duration>', 'longest lifetime of its tokens'))
      .option('--audience <uris>', 'RFC 8707 resource URI its JWTs may name as aud (repeat, or comma-separated)', collect)
      .addOption(jsonOption()),
    ['scopeward app create --name billing --scope tokens:read,tokens:write --max-lifetime 30d'],
  ).action(async (opts: { db?: string; name: string; description?: string; scope?: string[]; maxLifetime?: string; audience?: string[]; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const created = await asFlags(FIELDS, () =>
        createApp(domain, operatorCall(), {
          name: opts.name,
          description: opts.description,
          allowedScopes: opts.scope ?? [],
          maxTokenLifetime: opts.maxLifetime,
          audiences: opts.audience ?? [],
        }),
      )
      out.result(appJson(created), () => created.id)
      if (!out.json) out.note(`Created app ${created.id} "${created.name}".`)
    })
  })

  examples(app.command('list').description('list apps, oldest first (every page)').addOption(dbOption()).addOption(jsonOption()), [
    'scopeward app list',
    'scopeward app list --json',
  ]).action(async (opts: { db?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const rows: AppRecord[] = []
      let after: string | null = null
      for (;;) {
        const page = await listApps(domain, operatorActor(), { first: 100, after })
        rows.push(...page.rows)
        const last = page.rows[page.rows.length - 1]
        if (!page.hasNextPage || !last) break
        after = encodeCursor(last)
      }
      out.result(rows.map(appJson), () => appTable(out, rows))
    })
  })

  examples(app.command('show').description('show one app').argument('<app>', 'app id or name').addOption(dbOption()).addOption(jsonOption()), [
    'scopeward app show billing',
  ]).action(async (idOrName: string, opts: { db?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const found = await resolveApp(domain, operatorActor(), idOrName)
      out.result(appJson(found), () => appDetails(out, found))
    })
  })

  examples(
    app
      .command('update')
      .description('change an app: only the options given change')
      .argument('<app>', 'app id or name')
      .addOption(dbOption())
      .option('--name <name>', 'new name')
      .option('--description <text>', 'new description ("" clears it)')
      .option('--scope <scopes>', 'the new ceiling, replacing the old (repeat, or comma-separated)', collect)
      .option('--max-lifetime <duration>', 'longest lifetime of its tokens (e.g. 30d, P30D), or "none"', maxLifetime)
      .option('--audience <uris>', 'the RFC 8707 audiences its JWTs may name, replacing the old (repeat, or comma-separated; "none" clears them)', collect)
      .addOption(jsonOption()),
    ['scopeward app update billing --max-lifetime 7d', 'scopeward app update app_0123456789abcdef --scope tokens:read --name billing-ro'],
  ).action(async (idOrName: string, opts: { db?: string; name?: string; description?: string; scope?: string[]; maxLifetime?: string; audience?: string[]; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const input: AppInput = {}
      if (opts.name !== undefined) input.name = opts.name
      if (opts.description !== undefined) input.description = opts.description
      if (opts.scope !== undefined) input.allowedScopes = opts.scope
      if (opts.maxLifetime !== undefined) input.maxTokenLifetime = opts.maxLifetime === 'none' ? null : opts.maxLifetime
      if (opts.audience !== undefined) input.audiences = opts.audience.length === 1 && opts.audience[0] === 'none' ? [] : opts.audience
      const updated = await asFlags(FIELDS, async () => updateApp(domain, operatorCall(), (await resolveApp(domain, operatorActor(), idOrName)).id, input))
      out.result(appJson(updated), () => appDetails(out, updated))
    })
  })

  for (const verb of ['disable', 'enable'] as const) {
    examples(
      app
        .command(verb)
        .description(verb === 'disable' ? 'disable an app: every token of it fails from the next request on' : 'enable a disabled app again')
        .argument('<app>', 'app id or name')
        .addOption(dbOption())
        .addOption(jsonOption()),
      [`scopeward app ${verb} billing`],
    ).action(async (idOrName: string, opts: { db?: string; json?: boolean }) => {
      const out = createOutput(io, !!opts.json)
      await withDomain(io, { db: opts.db }, async ({ domain }) => {
        const target = await resolveApp(domain, operatorActor(), idOrName)
        const changed = await asFlags(FIELDS, () => (verb === 'disable' ? disableApp(domain, operatorCall(), target.id) : enableApp(domain, operatorCall(), target.id)))
        out.result(appJson(changed), () => `app ${changed.id} "${changed.name}" is ${changed.disabledAt === null ? 'enabled' : `disabled (since ${when(changed.disabledAt)})`}`)
      })
    })
  }

  return app
}

/** `--max-lifetime`: a duration, or "none" to remove the ceiling. */
function maxLifetime(value: string): string {
  // Commander turns a parsed null into "": the sentinel stays a string until the action maps it.
  if (value.toLowerCase() === 'none') return 'none'
  try {
    parseDuration(value, '--max-lifetime')
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message)
  }
  return value
}

export function appTable(out: Output, rows: AppRecord[]): string {
  if (rows.length === 0) return 'no apps'
  return out.table(
    ['ID', 'NAME', 'STATUS', 'ALLOWED SCOPES', 'MAX LIFETIME', 'CREATED'],
    rows.map((a) => [
      a.id,
      a.name,
      a.disabledAt === null ? 'enabled' : 'disabled',
      a.isRoot ? '(every scope)' : a.allowedScopes.join(','),
      a.maxTokenLifetimeMs === null ? '-' : (appJson(a).maxTokenLifetime as string),
      when(a.createdAt),
    ]),
  )
}

function appDetails(out: Output, a: AppRecord): string {
  const shown = appJson(a)
  const rows: [string, string][] = [
    ['ID', shown.id],
    ['Name', shown.name],
    ['Description', shown.description ?? '-'],
    ['Status', shown.disabledAt === null ? 'enabled' : `disabled since ${shown.disabledAt}`],
    ['Scopes', a.isRoot ? '(every declared scope)' : shown.allowedScopes.join(', ') || '(none)'],
    ['Max lifetime', shown.maxTokenLifetime ?? '-'],
    ['Created', shown.createdAt ?? '-'],
  ]
  return rows.map(([k, v]) => `${out.paint('bold', k.padEnd(12))} ${v}`).join('\n')
}
