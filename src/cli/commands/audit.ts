import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { Command } from 'commander'
import { checkAuditChain } from '../../domain/check-audit.js'
import { encodeSeqCursor } from '../../domain/pagination.js'
import { exportAuditEvents } from '../../domain/export-audit.js'
import { listAuditEvents } from '../../domain/queries.js'
import { auditKeyForMasterKey, verifyAuditExport } from '../../domain/verify-audit.js'
import { loadConfig } from '../../config.js'
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

/** A --head must be a hash as `audit head` prints it. */
function checkHead(head: string | undefined): void {
  if (head !== undefined && !/^[0-9a-f]{64}$/.test(head))
    throw new ScopewardError('BAD_USER_INPUT', `--head: must be the 64 hex characters printed by \`scopeward audit head\`, got ${JSON.stringify(head.slice(0, 80))}`, {
      field: '--head',
    })
}

/** The log of `db`, checked with the master key's audit key when SCOPEWARD_MASTER_KEY is set. */
async function checkAudit(opened: OpenedDomain, head?: string) {
  checkHead(head)
  const verdict = await checkAuditChain(opened.domain, { key: opened.auditKey, head: head ?? null })
  if (!verdict.ok) throw new ScopewardError('CONFLICT', `audit log broken after ${verdict.events} events: ${verdict.problem}`, { details: { firstBadEvent: verdict.seq } })
  return { ...verdict, mode: opened.auditKey === null ? 'SHA-256 chain (no master key)' : `keyed chain (${verdict.keyed} events under the master key)` }
}

/** A progress line on stderr every this many events when it is not a terminal (a terminal gets a live counter). */
const PROGRESS_EVERY = 10_000

/** --since/--until, the export's names for --from/--to (one of each pair at most); errors name the flag given. */
function timeWindow(opts: { from?: string; to?: string; since?: string; until?: string }): { filter: { from?: string; to?: string }; fields: Record<string, string> } {
  for (const [a, b] of [
    ['from', 'since'],
    ['to', 'until'],
  ] as const) {
    if (opts[a] !== undefined && opts[b] !== undefined) throw new ScopewardError('BAD_USER_INPUT', `--${b}: give --${a} or --${b}, not both`, { field: `--${b}` })
  }
  const filter: { from?: string; to?: string } = {}
  const fields: Record<string, string> = {}
  const from = opts.since ?? opts.from
  const to = opts.until ?? opts.to
  if (from !== undefined) filter.from = from
  if (to !== undefined) filter.to = to
  if (opts.since !== undefined) fields.from = '--since'
  if (opts.until !== undefined) fields.to = '--until'
  return { filter, fields }
}

/** Writes `text` to stdout and, when it is a stream whose buffer is full, waits for it to drain: memory stays flat whatever reads the pipe. */
async function writeDrained(io: CliIo, text: string): Promise<void> {
  const stream = io.stdout as { write(text: string): unknown; once?: (event: 'drain', listener: () => void) => unknown }
  if (stream.write(text) === false && typeof stream.once === 'function') await new Promise<void>((done) => stream.once?.('drain', done))
}

/** Verifies an export file (or stdin for `-`) line by line, with the master key's audit key when SCOPEWARD_MASTER_KEY is set. */
async function verifyExportFile(io: CliIo, file: string, head: string | undefined) {
  const input = file === '-' ? process.stdin : createReadStream(file)
  const opened = new Promise<void>((done, fail) => {
    if (file === '-') return done()
    input.once('open', () => done())
    input.once('error', (error: NodeJS.ErrnoException) =>
      fail(new ScopewardError(error.code === 'ENOENT' ? 'NOT_FOUND' : 'BAD_USER_INPUT', `--file: cannot read ${file}: ${error.code ?? error.message}`, { field: '--file' })),
    )
  })
  await opened
  const lines = createInterface({ input, crlfDelay: Infinity })
  try {
    const verdict = await verifyAuditExport(lines, { key: auditKeyForMasterKey(loadConfig({}, io.env).masterKey), head: head ?? null })
    if (!verdict.ok) throw new ScopewardError('CONFLICT', `export ${file} broken: ${verdict.problem}`, { details: { line: verdict.line, firstBadEvent: verdict.seq } })
    return verdict
  } finally {
    lines.close()
    if (file !== '-') input.destroy()
  }
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
      audit
        .command('export')
        .description(
          'stream audit events as NDJSON (one event per line: the --json shape plus previousHash, the link it chains from), oldest first, for archiving or a SIEM; check a file with `audit verify --file`',
        )
        .addOption(dbOption()),
    )
      .option('--since <time>', 'the same as --from: only events at or after this RFC 3339 time')
      .option('--until <time>', 'the same as --to: only events before this RFC 3339 time'),
    ['scopeward audit export > audit.ndjson', 'scopeward audit export --since 2026-01-01T00:00:00Z | gzip > audit-2026.ndjson.gz'],
  ).action(async (opts: FilterFlags & { db?: string; since?: string; until?: string }) => {
    const out = createOutput(io, true)
    const window = timeWindow(opts)
    await withDomain(io, { db: opts.db }, async (opened) => {
      // Streamed page by page (keyset paging on seq), waiting for stdout to drain: an export of millions of events never holds them all.
      let count = 0
      const live = out.progress('audit events')
      await asFlags({ ...FIELDS, ...window.fields }, async () => {
        for await (const page of exportAuditEvents(opened.domain, operatorActor(), { ...opts, ...window.filter })) {
          await writeDrained(io, page.map(({ event, previousHash }) => JSON.stringify({ ...auditEventJson(event), previousHash })).join('\n') + '\n')
          const before = count
          count += page.length
          live.update(count)
          // A pipe or a file gets a line now and then instead of a live counter.
          if (!io.stderrIsTTY && Math.floor(count / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY)) out.note(`exported ${count} audit events so far`)
        }
      })
      live.done()
      if (io.stderrIsTTY || count >= PROGRESS_EVERY) out.note(`exported ${count} audit events`)
    })
  })

  examples(
    audit
      .command('verify')
      .description("recompute the audit log's chain (keyed under SCOPEWARD_MASTER_KEY when set), or with --file an export's; exit 1 naming the first changed or deleted event")
      .addOption(dbOption())
      .option('--head <hash>', 'a head printed earlier by `scopeward audit head` and kept elsewhere: the chain must still contain it')
      .option('--file <path>', 'verify this export (`scopeward audit export`, NDJSON; - for stdin) instead of the database')
      .addOption(jsonOption()),
    ['scopeward audit verify', 'scopeward audit verify --head "$(cat audit-head.txt | cut -d" " -f2)"', 'scopeward audit verify --file audit.ndjson'],
  ).action(async (opts: { db?: string; head?: string; file?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    if (opts.file !== undefined) {
      checkHead(opts.head)
      const verdict = await verifyExportFile(io, opts.file, opts.head)
      out.result({ ok: true, events: verdict.events, keyed: verdict.keyed, first: verdict.first, head: verdict.head }, () =>
        verdict.head === null
          ? `export ${opts.file} intact: no events`
          : `export ${opts.file} intact: ${verdict.events} events (${verdict.first}–${verdict.head.seq}), ${verdict.keyed > 0 ? `keyed chain (${verdict.keyed} events under the master key)` : 'SHA-256 chain (no master key)'}, ends at ${verdict.head.hash}${opts.head ? `, contains the anchored head ${opts.head}` : ''}`,
      )
      return
    }
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
