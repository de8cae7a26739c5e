import { Command } from 'commander'
import { listTokens } from '../../domain/queries.js'
import { overPermissionedTokens } from '../../domain/usage-report.js'
import type { CliIo } from '../io.js'
import { appCache, presentToken } from '../lookups.js'
import { withDomain } from '../open-domain.js'
import { operatorActor } from '../operator.js'
import { asFlags, dbOption, durationOption, examples, jsonOption } from '../options.js'
import { createOutput, when } from '../output.js'
import { gapJson, type TokenJson } from '../present.js'

/** `scopeward report`: over-permissioned tokens and tokens that never expire, over every page. */
export function reportCommand(io: CliIo): Command {
  return examples(
    new Command('report')
      .description('over-permissioned tokens (scopes unused in the window, and what to keep) and tokens that never expire')
      .addOption(dbOption())
      .addOption(durationOption('--unused-for <duration>', 'the window').default('30d'))
      .addOption(jsonOption()),
    ['scopeward report', 'scopeward report --unused-for 90d --json'],
  ).action(async (opts: { db?: string; unusedFor: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const apps = appCache(domain)
      const progress = out.progress('tokens judged')
      const overPermissioned: { token: TokenJson; unusedScopes: string[]; suggestedScopes: string[] }[] = []
      let gaps: { from: number; to: number }[] = []
      let after: string | null = null
      for (;;) {
        const page = await asFlags({ unusedFor: '--unused-for' }, () => overPermissionedTokens(domain, operatorActor(), { unusedFor: opts.unusedFor, first: 100, after }))
        for (const r of page.rows) overPermissioned.push({ token: await presentToken(domain, r.token, apps), unusedScopes: r.unusedScopes, suggestedScopes: r.suggestedScopes })
        gaps = page.usageGaps
        progress.update(overPermissioned.length)
        if (!page.hasNextPage) break
        after = page.endCursor
      }
      const neverExpiring: TokenJson[] = []
      after = null
      for (;;) {
        const page = await listTokens(domain, operatorActor(), { status: 'ACTIVE', first: 100, after }, { neverExpires: true })
        for (const t of page.rows) neverExpiring.push(await presentToken(domain, t, apps))
        if (!page.hasNextPage) break
        after = page.endCursor
      }
      progress.done()
      const usageGaps = gaps.map(gapJson)
      out.result({ usageGaps, overPermissioned, neverExpiring }, () =>
        [
          // Usage lost to a crash makes a scope used only then look unused: the report says so.
          ...usageGaps.map((g) =>
            out.paint('yellow', `Warning: usage from ${g.from} to ${g.to} may be lost (an instance stopped without flushing it): a scope used only then looks unused below.`),
          ),
          `Tokens with scopes unused for ${opts.unusedFor} (${overPermissioned.length}):`,
          overPermissioned.length
            ? out.table(
                ['ID', 'NAME', 'APP', 'UNUSED SCOPES', 'KEEP', 'LAST USED'],
                overPermissioned.map((r) => [
                  r.token.id,
                  r.token.name,
                  r.token.app.name ?? r.token.app.id,
                  r.unusedScopes.join(','),
                  r.suggestedScopes.join(',') || '(none: revoke)',
                  when(r.token.lastUsedAt === null ? null : Date.parse(r.token.lastUsedAt), 'never'),
                ]),
              )
            : '  none',
          '',
          `Tokens that never expire (${neverExpiring.length}):`,
          neverExpiring.length
            ? out.table(
                ['ID', 'NAME', 'APP'],
                neverExpiring.map((t) => [t.id, t.name, t.app.name ?? t.app.id]),
              )
            : '  none',
          '',
          'Trim one with: scopeward token trim <ID> --unused-for ' + opts.unusedFor,
        ].join('\n'),
      )
    })
  })
}
