import type { AuditEventRecord, AuditFilter } from './model.js'
import type { Actor } from './actor.js'
import type { Domain } from './context.js'
import { assertInstanceAdmin } from './permissions.js'
import { GENESIS_HASH } from './verify-audit.js'
import { parseInstant } from './validate.js'

/** One line of an export: the event as committed, and the link it chains from (null when its predecessor is missing from the log). */
export interface ExportedAuditEvent {
  event: AuditEventRecord
  previousHash: string | null
}

/** Events read per page: keyset paging on `seq`, so a page costs the same at the end of a long log as at its start. */
export const EXPORT_PAGE = 1000

/**
 * The audit log for archiving, oldest first, one page at a time (never the whole log in memory),
 * each event with the hash it chains from so that an export of any window can be verified on its
 * own (`verifyAuditExport`). The whole log spans every app: the operator or a root-app token only.
 */
export async function* exportAuditEvents(
  domain: Domain,
  caller: Actor,
  args: { actor?: string | undefined; action?: string | undefined; target?: string | undefined; from?: string | undefined; to?: string | undefined },
): AsyncGenerator<ExportedAuditEvent[]> {
  assertInstanceAdmin(caller, 'only the operator or a root-app token can export the whole audit log')
  const filter: AuditFilter = {
    actor: args.actor,
    action: args.action,
    target: args.target,
    from: args.from === undefined ? undefined : parseInstant(args.from, 'from'),
    to: args.to === undefined ? undefined : parseInstant(args.to, 'to'),
  }
  let last: { seq: number; hash: string } | null = null
  let after: number | undefined
  for (;;) {
    const page = await domain.store.listAuditEvents({ ...filter, after, limit: EXPORT_PAGE })
    const lines: ExportedAuditEvent[] = []
    for (const event of page.rows) {
      lines.push({ event, previousHash: await previousHashOf(domain, event, last) })
      last = { seq: event.seq, hash: event.hash }
    }
    if (lines.length > 0) yield lines
    if (!page.hasNextPage || last === null) return
    after = last.seq
  }
}

/** The hash of the event before `event`: the last one exported when it is that one, else read (the first line of a window, or a filtered export). */
async function previousHashOf(domain: Domain, event: AuditEventRecord, last: { seq: number; hash: string } | null): Promise<string | null> {
  if (event.seq === 1) return GENESIS_HASH
  if (last?.seq === event.seq - 1) return last.hash
  const before = (await domain.store.listAuditEvents({ after: event.seq - 2, limit: 1 })).rows[0]
  return before?.seq === event.seq - 1 ? before.hash : null
}
