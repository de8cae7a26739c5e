import { Command } from 'commander'
import { deriveFromToken } from '../../domain/derive-from-token.js'
import { formatDuration } from '../../domain/duration.js'
import { issueRootToken } from '../../domain/issue-root-token.js'
import { issueToken } from '../../domain/issue-token.js'
import { listTokens, lookupToken } from '../../domain/queries.js'
import { resolveApp } from '../../domain/resolve-app.js'
import { revokeToken } from '../../domain/revoke-token.js'
import { rotateToken } from '../../domain/rotate-token.js'
import { trimToken } from '../../domain/trim-token.js'
import { notFound } from '../../errors.js'
import type { CliIo } from '../io.js'
import { appCache, presentToken } from '../lookups.js'
import type { TokenStatus } from '../model.js'
import { withDomain } from '../open-domain.js'
import { operatorActor, operatorCall } from '../operator.js'
import { asFlags, choiceOption, collect, dbOption, durationOption, examples, jsonOption } from '../options.js'
import { createOutput, when, type Output, type Style } from '../output.js'
import { gapJson, type TokenJson } from '../present.js'
import { CONSTRAINT_FIELDS, constraintsOfFlags, withConstraintFlags, type ConstraintFlags } from '../constraint-flags.js'

const FIELDS = {
  appId: '--app',
  name: '--name',
  description: '--description',
  scopes: '--scope',
  subject: '--subject',
  expiresIn: '--expires-in',
  noExpiry: '--no-expiry',
  gracePeriod: '--grace',
  unusedFor: '--unused-for',
  reason: '--reason',
  parent: '<parent>',
  id: '<token>',
  ...CONSTRAINT_FIELDS,
}

/** `scopeward token issue|list|show|rotate|derive|trim|revoke`. */
export function tokenCommands(io: CliIo): Command {
  const token = new Command('token').description('issue, inspect, rotate, derive, trim and revoke tokens')

  examples(
    withConstraintFlags(token.command('issue'))
      .description('issue a token: the secret is printed once on stdout, its id, expiry and a warning on stderr')
      .addOption(dbOption())
      .option('--app <app>', 'app of the token, by id or name', 'root')
      .option('--name <name>', 'token name (required, except with --root)')
      .option('--description <text>', 'what the token is for (at most 500 characters)')
      .option('--scope <scopes>', 'scope to grant (repeat, or comma-separated)', collect)
      .option('--subject <id>', 'the user the token acts for')
      .addOption(durationOption('--expires-in <duration>', "lifetime (default 90d, within the app's maximum)"))
      .option('--no-expiry', 'a token that never expires (refused where a lifetime policy applies)')
      .option('--root', 'break glass: a new root token holding every built-in scope')
      .addOption(jsonOption()),
    [
      'scopeward token issue --app billing --name ci-deploy --scope tokens:read --expires-in 30d',
      'scopeward token issue --app billing --name partner --scope tokens:read --allow-cidr 203.0.113.0/24 --rate-limit 100/1m --credits 1000 --refill 1000/1d',
      'TOKEN=$(scopeward token issue --app billing --name ci --scope tokens:read)',
      'scopeward token issue --root --name break-glass',
    ],
  ).action(
    async (
      opts: {
        db?: string
        app: string
        name?: string
        description?: string
        scope?: string[]
        subject?: string
        expiresIn?: string
        expiry: boolean
        root?: boolean
        json?: boolean
      } & ConstraintFlags,
      command: Command,
    ) => {
      if (opts.root) {
        // Break glass mints exactly one thing; a flag it would ignore must not silently widen what the operator asked for.
        const ignored = (['scope', 'subject', 'expiresIn', 'app', 'allowCidr', 'rateLimit', 'credits', 'refill'] as const).filter(
          (flag) => command.getOptionValueSource(flag) === 'cli',
        )
        const names = {
          scope: '--scope',
          subject: '--subject',
          expiresIn: '--expires-in',
          app: '--app',
          allowCidr: '--allow-cidr',
          rateLimit: '--rate-limit',
          credits: '--credits',
          refill: '--refill',
        }
        if (ignored.length > 0)
          command.error(
            `scopeward: --root mints a token holding every built-in scope and cannot be combined with ${ignored.map((f) => names[f]).join(', ')}; for a narrower root-app token use: scopeward token issue --app root --scope ...`,
          )
      } else if (opts.name === undefined) {
        command.error("scopeward: required option '--name <name>' not specified (every token is named, so a list says what each is for)")
      }
      const out = createOutput(io, !!opts.json)
      await withDomain(io, { db: opts.db }, async ({ domain }) => {
        const apps = appCache(domain)
        if (opts.root) {
          const issued = await issueRootToken(domain, operatorCall(), { name: opts.name, noExpiry: !opts.expiry })
          return printIssued(out, await presentToken(domain, issued.token, apps), issued.secret, [])
        }
        const issued = await asFlags(FIELDS, async () => {
          const app = await resolveApp(domain, operatorActor(), opts.app)
          return issueToken(domain, operatorCall(), {
            appId: app.id,
            name: opts.name as string,
            description: opts.description,
            scopes: opts.scope ?? [],
            subject: opts.subject,
            expiresIn: opts.expiresIn,
            noExpiry: !opts.expiry,
            constraints: constraintsOfFlags(opts),
          })
        })
        const notes: string[] = []
        const t = issued.token
        // A default lifetime shrinks to fit the app's or the instance's maximum: said, not silent.
        if (opts.expiresIn === undefined && opts.expiry && t.expiresAt !== null && t.expiresAt - t.createdAt < domain.policies.defaultOpaqueLifetimeMs) {
          notes.push(
            `Note: the expiry was shortened to ${formatDuration(t.expiresAt - t.createdAt)} (from the default ${formatDuration(domain.policies.defaultOpaqueLifetimeMs)}) by the maximum token lifetime of app ${t.appId} or SCOPEWARD_MAX_TOKEN_LIFETIME.`,
          )
        }
        printIssued(out, await presentToken(domain, t, apps), issued.secret, notes)
      })
    },
  )

  examples(
    token
      .command('list')
      .description('list tokens, oldest first (every page)')
      .addOption(dbOption())
      .option('--app <app>', 'only this app (id or name)')
      .addOption(choiceOption('--status <status>', 'only this status', ['ACTIVE', 'EXPIRED', 'REVOKED']))
      .option('--subject <id>', 'only tokens acting for this user')
      .addOption(jsonOption()),
    ['scopeward token list', 'scopeward token list --app billing --status active', "scopeward token list --json | jq -r '.[].id'"],
  ).action(async (opts: { db?: string; app?: string; status?: TokenStatus; subject?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const apps = appCache(domain)
      const appId = opts.app === undefined ? undefined : (await asFlags(FIELDS, () => resolveApp(domain, operatorActor(), opts.app as string))).id
      const rows: TokenJson[] = []
      const progress = out.progress('tokens')
      let after: string | null = null
      for (;;) {
        const page = await listTokens(domain, operatorActor(), { appId, status: opts.status, subject: opts.subject, first: 100, after })
        for (const t of page.rows) rows.push(await presentToken(domain, t, apps))
        progress.update(rows.length)
        if (!page.hasNextPage) break
        after = page.endCursor
      }
      progress.done()
      out.result(rows, () => tokenTable(out, rows))
    })
  })

  examples(
    token
      .command('show')
      .description('show one token (by id, or the full token: the secret is never printed)')
      .argument('<token>', 'token id (the 16 characters after swt_) or the full token')
      .addOption(dbOption())
      .addOption(jsonOption()),
    ['scopeward token show Ab3dEf6hIj9kLm2n', 'scopeward token show "$TOKEN" --json'],
  ).action(async (id: string, opts: { db?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const found = await lookupToken(domain, id)
      if (!found) throw notFound('token', id)
      const shown = await presentToken(domain, found, appCache(domain))
      out.result(shown, () => details(out, shown))
    })
  })

  examples(
    token
      .command('rotate')
      .description('replace a token with a new secret (same app, name, scopes and lifetime); the new secret is printed once')
      .argument('<token>', 'token id or the full token')
      .addOption(dbOption())
      .addOption(durationOption('--grace <duration>', 'the old secret keeps working this long, at most 24h (default: stops at once)'))
      .addOption(jsonOption()),
    ['scopeward token rotate Ab3dEf6hIj9kLm2n --grace 1h'],
  ).action(async (id: string, opts: { db?: string; grace?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const issued = await asFlags(FIELDS, () => rotateToken(domain, operatorCall(), id, opts.grace))
      printIssued(out, await presentToken(domain, issued.token, appCache(domain)), issued.secret, [
        `Replaces a token: the old secret ${opts.grace ? `keeps working for ${opts.grace}` : 'stopped working now'}.`,
      ])
    })
  })

  examples(
    withConstraintFlags(
      token
        .command('derive')
        .description("derive a narrower child of a token: same app and subject, scopes within the parent's, never outliving it, revoked with it")
        .argument('<parent>', 'the parent token: id or the full token')
        .addOption(dbOption())
        .requiredOption('--name <name>', 'name of the child (required)')
        .option('--description <text>', 'what the child is for (at most 500 characters)')
        .requiredOption('--scope <scopes>', 'scope of the child (required; repeat, or comma-separated)', collect)
        .addOption(durationOption('--expires-in <duration>', "lifetime (default: the parent's remaining lifetime, at most 90d)"))
        .addOption(jsonOption()),
    ),
    [
      'scopeward token derive Ab3dEf6hIj9kLm2n --name ci-readonly --scope tokens:read --expires-in 1h',
      'scopeward token derive Ab3dEf6hIj9kLm2n --name office --scope tokens:read --allow-cidr 10.0.0.0/8 --rate-limit 10/1m',
    ],
  ).action(async (parent: string, opts: { db?: string; name: string; description?: string; scope: string[]; expiresIn?: string; json?: boolean } & ConstraintFlags) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const issued = await asFlags(FIELDS, () =>
        deriveFromToken(domain, operatorCall(), parent, {
          name: opts.name,
          description: opts.description,
          scopes: opts.scope,
          expiresIn: opts.expiresIn,
          constraints: constraintsOfFlags(opts),
        }),
      )
      printIssued(out, await presentToken(domain, issued.token, appCache(domain)), issued.secret, [])
    })
  })

  examples(
    token
      .command('trim')
      .description('narrow a token to the scopes its requests needed (derived tokens narrow with it)')
      .argument('<token>', 'token id or the full token')
      .addOption(dbOption())
      .addOption(durationOption('--unused-for <duration>', "judge usage over this window (default: the token's whole life)"))
      .option('--dry-run', 'say what would change, change nothing')
      .option('--allow-usage-gaps', 'trim even though usage may have been lost to a crash inside the window')
      .addOption(jsonOption()),
    ['scopeward token trim Ab3dEf6hIj9kLm2n --dry-run', 'scopeward token trim Ab3dEf6hIj9kLm2n --unused-for 30d'],
  ).action(async (id: string, opts: { db?: string; unusedFor?: string; dryRun?: boolean; allowUsageGaps?: boolean; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const result = await asFlags(FIELDS, () =>
        trimToken(domain, operatorCall(), { id, unusedFor: opts.unusedFor ?? null, dryRun: !!opts.dryRun, allowUsageGaps: !!opts.allowUsageGaps }),
      )
      const shown = {
        token: await presentToken(domain, result.token, appCache(domain)),
        removedScopes: result.removedScopes,
        keptScopes: result.keptScopes,
        dryRun: result.dryRun,
        usageGaps: result.usageGaps.map(gapJson),
      }
      out.result(shown, () =>
        shown.removedScopes.length === 0
          ? `token ${shown.token.id}: nothing to trim (keeps ${shown.keptScopes.join(', ')})`
          : `token ${shown.token.id}: ${shown.dryRun ? 'would remove' : 'removed'} ${shown.removedScopes.join(', ')}; ${shown.dryRun ? 'would keep' : 'keeps'} ${shown.keptScopes.join(', ') || '(nothing)'}`,
      )
    })
  })

  examples(
    token
      .command('revoke')
      .description('revoke a token and every token derived from it (by id or the full token; the secret is never echoed)')
      .argument('<token>', 'token id (the 16 characters after swt_) or the full token')
      .addOption(dbOption())
      .option('--reason <text>', 'why (recorded in the audit log)')
      .addOption(jsonOption()),
    ['scopeward token revoke Ab3dEf6hIj9kLm2n --reason "leaked in a CI log"', 'scopeward token revoke "$TOKEN"'],
  ).action(async (id: string, opts: { db?: string; reason?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const { token: revoked, revokedIds } = await asFlags(FIELDS, () => revokeToken(domain, operatorCall(), id, opts.reason ?? 'revoked from the command line'))
      const shown = { token: await presentToken(domain, revoked, appCache(domain)), revokedIds }
      out.result(shown, () =>
        revokedIds.length === 0 ? `token ${revoked.id} was already revoked: nothing changed` : `revoked ${revokedIds.length} token(s): ${revokedIds.join(' ')}`,
      )
    })
  })

  return token
}

/** A new secret: on stdout alone (so `$(scopeward token issue ...)` captures just it), the rest on stderr; `--json`: {token, secret}. */
function printIssued(out: Output, token: TokenJson, secret: string, notes: string[]): void {
  out.result({ token, secret }, () => secret)
  for (const note of notes) out.note(note)
  if (!out.json) {
    out.note(
      `Token ${token.id} "${token.name}" of app ${token.app.name ?? token.app.id} (${token.app.id}), scopes ${token.scopes.join(', ')}, expires ${token.expiresAt ?? 'never'}.`,
    )
    out.note(out.paint('yellow', 'This is the only time the secret is shown: store it now.'))
  }
}

function statusStyle(status: string): Style {
  return status === 'ACTIVE' ? 'green' : status === 'REVOKED' ? 'red' : 'yellow'
}

function statusCell(out: Output, status: string): string {
  return out.paint(statusStyle(status), status)
}

export function tokenTable(out: Output, rows: TokenJson[]): string {
  if (rows.length === 0) return 'no tokens'
  const ms = (s: string | null) => (s === null ? null : Date.parse(s))
  return out.table(
    ['ID', 'NAME', 'APP', 'STATUS', 'SCOPES', 'EXPIRES', 'LAST USED'],
    rows.map((t) => [t.id, t.name, t.app.name ?? t.app.id, t.status, t.scopes.join(','), when(ms(t.expiresAt), 'never'), when(ms(t.lastUsedAt), 'never')]),
    (column, cell) => (column === 3 ? statusStyle(cell) : null),
  )
}

function details(out: Output, t: TokenJson): string {
  const rows: [string, string][] = [
    ['ID', t.id],
    ['Name', t.name],
    ['App', `${t.app.name ?? '?'} (${t.app.id})`],
    ['Status', statusCell(out, t.status)],
    ['Kind', t.kind],
    ['Subject', t.subject ?? '-'],
    ['Scopes', t.scopes.join(', ')],
    ['Created', t.createdAt ?? '-'],
    ['Expires', t.expiresAt ?? 'never'],
    ['Last used', t.lastUsedAt ?? 'never'],
    ['Revoked', t.revokedAt === null ? '-' : `${t.revokedAt}${t.revokeReason ? ` (${t.revokeReason})` : ''}`],
    ['Parent', t.parent?.id ?? '-'],
    ['Created by', t.createdBy?.id ?? (t.createdByCredential ? `client secret ${t.createdByCredential}` : 'the command line')],
  ]
  return rows.map(([k, v]) => `${out.paint('bold', k.padEnd(11))} ${v}`).join('\n')
}
