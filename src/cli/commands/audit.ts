import { Command } from 'commander'
import { checkAuditChain } from '../../domain/check-audit.js'
import { encodeSeqCursor } from '../../domain/pagination.js'
import { listAuditEvents } from '../../domain/queries.js'
import { ScopewardError } from '../../errors.js'
import type { CliIo } from '../io.js'
import type { AuditEventRecord } from '../model.js'
import { withDomain, type OpenedDomain } from '../open-domain.js'
import { operatorActor } from '../operator.js'
import { asFlags, dbOption, examples, jsonOption } from '../options.js'
import { createOutput, when, type Output } from '../output.js'
import { auditEventJson } from '../present.js'

const FIELDS = { from: '--from', to: '--to', actor: '--actor', action: '--action', target: '--target' }

interface FilterFlags {
  actor?: string
  action?: string
  target?: string
  from?: string
  to?: string
}

/** Every audit event matching `flags`, oldest first, page by page: `each` sees each page's rows. */
async function pageAudit(opened: OpenedDomain, flags: FilterFlags, out: Output, each: (rows: AuditEventRecord[]) => void): Promise<number> {
  let after: string | null = null
  let count = 0
  const progress = out.progress('audit events')
  for (;;) {
    const page = await asFlags(FIELDS, () => listAuditEvents(opened.domain, operatorActor(), { ...flags, first: 100, after }))
    each(page.rows)
    count += page.rows.length
    progress.update(count)
    const last = page.rows[page.rows.length - 1]
    if (!page.hasNextPage || !last) break
    after = encodeSeqCursor(last.seq)
  }
  progress.done()
  return count
}

function filterOptions(command: Command): Command {
  return command
    .option('--actor <id>', 'only events by this actor (a token id, or client_secret:<id>)')
    .option('--action <action>', 'only this action, e.g. token.revoke')
    .option('--target <id>', 'only events about this id')
    .option('--from <time>', 'only events at or after this RFC 3339 time, e.g. 2026-01-31T00:00:00Z')
    .option('--to <time>', 'only events before this RFC 3339 time')
}

/** The log of `db`, checked with the master key's audit key when SCOPEWARD_MASTER_KEY is set. */
async function checkAudit(opened: OpenedDomain, head?: string) {
  if (head !== undefined && !/^[0-9a-f]{64}$/.test(head))
    throw new ScopewardError('BAD_USER_INPUT', `--head: must be the 64 hex characters printed by \`scopeward audit head\`, got ${JSON.stringify(head.slice(0, 80))}`, {
      field: '--head',
    })
  const verdict = await checkAuditChain(opened.domain, { key: opened.auditKey, head: head ?? null })
  if (!verdict.ok) throw new ScopewardError('CONFLICT', `audit log broken after ${verdict.events} events: ${verdict.problem}`, { details: { firstBadEvent: verdict.seq } })
  return { ...verdict, mode: opened.auditKey === null ? 'SHA-256 chain (no master key)' : `keyed chain (${verdict.keyed} events under the master key)` }
}

/** `scopeward audit list|export|verify|head`. */
export function auditCommands(io: CliIo): Command {
  const audit = new Command('audit').description('read, export and verify the audit log')

  examples(filterOptions(audit.command('list').description('list audit events, oldest first (every page)').addOption(dbOption())).addOption(jsonOption()), [
    'scopeward audit list --action token.revoke',
    'scopeward audit list --from 2026-01-01T00:00:00Z --json',
  ]).action(async (opts: FilterFlags & { db?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async (opened) => {
      const rows: AuditEventRecord[] = []
      await pageAudit(opened, opts, out, (page) => rows.push(...page))
      out.result(rows.map(auditEventJson), () =>
        rows.length === 0
          ? 'no audit events'
          : out.table(
              ['SEQ', 'AT', 'ACTION', 'ACTOR', 'TARGET', 'APP'],
              rows.map((e) => [String(e.seq), when(e.at), e.action, e.actor ?? '(command line)', e.target ?? '-', e.appId ?? '-']),
            ),
      )
    })
  })

  examples(
    filterOptions(
      audit.command('export').description('write audit events as JSON Lines (one event per line, the --json shape), oldest first, for archiving or a SIEM').addOption(dbOption()),
    ),
    ['scopeward audit export > audit.jsonl', 'scopeward audit export --from 2026-01-01T00:00:00Z | gzip > audit-2026.jsonl.gz'],
  ).action(async (opts: FilterFlags & { db?: string }) => {
    const out = createOutput(io, true)
    await withDomain(io, { db: opts.db }, async (opened) => {
      // Streamed page by page: an export of millions of events never holds them all.
      const count = await pageAudit(opened, opts, out, (page) => {
        if (page.length > 0) io.stdout.write(page.map((e) => JSON.stringify(auditEventJson(e))).join('\n') + '\n')
      })
      if (io.stderrIsTTY) out.note(`exported ${count} audit events`)
    })
  })

  examples(
    audit
      .command('verify')
      .description("recompute the audit log's chain (keyed under SCOPEWARD_MASTER_KEY when set); exit 1 naming the first changed or deleted event")
      .addOption(dbOption())
      .option('--head <hash>', 'a head printed earlier by `scopeward audit head` and kept elsewhere: the chain must still contain it')
      .addOption(jsonOption()),
    ['scopeward audit verify', 'scopeward audit verify --head "$(cat audit-head.txt | cut -d" " -f2)"'],
  ).action(async (opts: { db?: string; head?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async (opened) => {
      const verdict = await checkAudit(opened, opts.head)
      out.result(
        { ok: true, events: verdict.events, keyed: verdict.keyed, head: verdict.head, mode: verdict.mode },
        () => `audit log intact: ${verdict.events} events, ${verdict.mode}${opts.head ? `, contains the anchored head ${opts.head}` : ''}`,
      )
    })
  })

  examples(
    audit
      .command('head')
      .description('verify the audit log, then print its head (sequence number and hash) to keep outside the database')
      .addOption(dbOption())
      .option('--json', 'print {"seq": N, "hash": "..."}'),
    ['scopeward audit head >> /secure/elsewhere/audit-heads.txt'],
  ).action(async (opts: { db?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async (opened) => {
      const verdict = await checkAudit(opened)
      out.result(verdict.head, () => (verdict.head ? `${verdict.head.seq} ${verdict.head.hash}` : '(empty log)'))
    })
  })

  return audit
}
