import { auditHash, auditHeadTag, GENESIS_HASH } from './audit-hash.js'
import type { Store } from './ports.js'
import type { Actor } from './actor.js'
import type { Domain } from './context.js'
import { assertInstanceAdmin } from './permissions.js'

export type AuditVerdict =
  { ok: true; events: number; keyed: number; head: { seq: number; hash: string } | null } | { ok: false; events: number; seq: number | null; problem: string }

export interface AuditVerifyOptions {
  /** The audit key (from the master key): links made with it are checked as MACs, and the head's tag is required. */
  key?: Uint8Array | null
  /** A head hash anchored elsewhere (`scopeward audit head`): the chain must still contain it. */
  head?: string | null
}

/**
 * Recomputes the audit log's chain from the first event. A changed row breaks its own link; a
 * deleted row breaks the next one's; a deleted tail no longer matches the head recorded beside
 * every append. With the audit key, links made under it must verify as MACs (once one does, every
 * later one must: unkeyed links may only precede keyed ones), and the head must carry a valid
 * tag, which no one without the key can make for a shortened chain. With `head`, the chain must
 * contain that anchored hash. Reports the first row at fault.
 */
export async function verifyAuditChain(store: Store, options: AuditVerifyOptions = {}): Promise<AuditVerdict> {
  const key = options.key ?? null
  let previous = GENESIS_HASH
  let previousSeq = 0
  let events = 0
  let keyed = 0
  let anchorSeen = false
  let after: number | undefined
  for (;;) {
    const page = await store.listAuditEvents({ after, limit: 1000 })
    for (const event of page.rows) {
      events++
      if (event.seq !== previousSeq + 1)
        return { ok: false, events, seq: event.seq, problem: `event ${previousSeq + 1}${event.seq - previousSeq > 2 ? `–${event.seq - 1}` : ''} is missing (deleted)` }
      const { seq: _seq, hash, ...input } = event
      if (key !== null && auditHash(previous, input, key) === hash) keyed++
      else if (keyed > 0 || auditHash(previous, input) !== hash) {
        const hint = key === null ? ' (or the log is keyed: verify with the SCOPEWARD_MASTER_KEY it was written with)' : ''
        return { ok: false, events, seq: event.seq, problem: `event ${event.seq} (${event.action}) was changed: its hash does not match its content and its predecessor${hint}` }
      }
      if (hash === options.head) anchorSeen = true
      previous = hash
      previousSeq = event.seq
    }
    if (!page.hasNextPage) break
    after = previousSeq
  }
  const head = await store.getMeta('audit_head')
  if (head !== null && head !== previous) return { ok: false, events, seq: null, problem: 'the latest events were deleted: the chain ends before the recorded head' }
  if (key !== null && events > 0) {
    const tag = await store.getMeta('audit_head_tag')
    if (keyed === 0) return { ok: false, events, seq: null, problem: 'no event is keyed with this master key: the log was never written with it, or its keyed events were deleted' }
    if (tag !== auditHeadTag(key, previous))
      return { ok: false, events, seq: null, problem: 'the head tag does not match the last event: the latest events were deleted (or the master key differs)' }
  }
  if (options.head != null && !anchorSeen)
    return { ok: false, events, seq: null, problem: `the anchored head ${options.head} is not in the chain: events up to it were deleted or changed` }
  return { ok: true, events, keyed, head: events > 0 ? { seq: previousSeq, hash: previous } : null }
}

/** The whole audit chain's verdict (unkeyed check), for callers across apps only: the log spans every app. */
export async function auditChainStatus(domain: Domain, actor: Actor): Promise<AuditVerdict> {
  assertInstanceAdmin(actor, 'only tokens of the root app can verify the whole audit chain')
  return verifyAuditChain(domain.store)
}
