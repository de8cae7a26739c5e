import { auditHash, GENESIS_HASH } from '../store/audit-hash.js'
import type { Store } from '../store/store.js'

export type AuditVerdict = { ok: true; events: number } | { ok: false; events: number; seq: number | null; problem: string }

/**
 * Recomputes the audit log's hash chain from the first event. A changed row breaks its own
 * link; a deleted row breaks the next one's; a deleted tail no longer matches the head recorded
 * beside every append. Reports the first row at fault.
 */
export async function verifyAuditChain(store: Store): Promise<AuditVerdict> {
  let previous = GENESIS_HASH
  let previousSeq = 0
  let events = 0
  let after: number | undefined
  for (;;) {
    const page = await store.listAuditEvents({ after, limit: 1000 })
    for (const event of page.rows) {
      events++
      if (event.seq !== previousSeq + 1) return { ok: false, events, seq: event.seq, problem: `event ${previousSeq + 1}${event.seq - previousSeq > 2 ? `–${event.seq - 1}` : ''} is missing (deleted)` }
      const { seq: _seq, hash, ...input } = event
      if (auditHash(previous, input) !== hash) return { ok: false, events, seq: event.seq, problem: `event ${event.seq} (${event.action}) was changed: its hash does not match its content and its predecessor` }
      previous = hash
      previousSeq = event.seq
    }
    if (!page.hasNextPage) break
    after = previousSeq
  }
  const head = await store.getMeta('audit_head')
  if (head !== null && head !== previous) return { ok: false, events, seq: null, problem: 'the latest events were deleted: the chain ends before the recorded head' }
  return { ok: true, events }
}
