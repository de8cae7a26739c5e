import { auditHash, auditHeadTag, auditKeyOf, GENESIS_HASH } from './audit-hash.js'
import { masterKeyBytes } from '../tokens/seal-private-key.js'
import type { AuditEventInput } from './model.js'
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
      const link = linkOf(previous, input, hash, key, keyed > 0)
      if (link === 'keyed') keyed++
      else if (link === 'broken') {
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

export { GENESIS_HASH }

/**
 * How `hash` links `input` to `previous`: under the audit key, plainly (SHA-256), or not at all.
 * Once a link was keyed every later one must be: unkeyed links may only precede keyed ones.
 */
function linkOf(previous: string, input: AuditEventInput, hash: string, key: Uint8Array | null, keyedBefore: boolean): 'keyed' | 'plain' | 'broken' {
  if (key !== null && auditHash(previous, input, key) === hash) return 'keyed'
  return !keyedBefore && auditHash(previous, input) === hash ? 'plain' : 'broken'
}

/** The audit chain's key for a SCOPEWARD_MASTER_KEY value (null: plain SHA-256 links). */
export function auditKeyForMasterKey(masterKey: string | null): Uint8Array | null {
  return auditKeyOf(masterKeyBytes(masterKey))
}

export type ExportVerdict =
  | { ok: true; events: number; keyed: number; first: number | null; head: { seq: number; hash: string } | null }
  | { ok: false; events: number; line: number; seq: number | null; problem: string }

const HEX64 = /^[0-9a-f]{64}$/

/**
 * Checks an export of the audit log (`scopeward audit export`, one JSON event per line) as
 * `verifyAuditChain` checks the log: each line's hash must link its content to the hash it chains
 * from (`previousHash`, which must be the previous line's hash), sequence numbers must follow one
 * another without a gap, and with the audit key the links must be MACs. An edited, inserted,
 * removed or reordered line is reported by its line number. Without the key anyone can recompute
 * a plain chain: anchor it with `head` (a hash kept elsewhere, from `scopeward audit head`).
 */
export async function verifyAuditExport(lines: AsyncIterable<string>, options: AuditVerifyOptions = {}): Promise<ExportVerdict> {
  const key = options.key ?? null
  let last: { seq: number; hash: string } | null = null
  let first: number | null = null
  let events = 0
  let keyed = 0
  let anchorSeen = false
  let lineNo = 0
  for await (const text of lines) {
    lineNo++
    if (text.trim() === '') continue
    const fail = (problem: string, seq: number | null = null): ExportVerdict => ({ ok: false, events, line: lineNo, seq, problem: `line ${lineNo}: ${problem}` })
    const parsed = parseExportLine(text)
    if (typeof parsed === 'string') return fail(parsed)
    const { seq, hash, previousHash, input } = parsed
    events++
    if (last !== null && seq !== last.seq + 1) {
      return fail(seq <= last.seq ? `event ${seq} is out of order (after ${last.seq})` : `event ${last.seq + 1}${seq - last.seq > 2 ? `–${seq - 1}` : ''} is missing`, seq)
    }
    if (last !== null && previousHash !== last.hash) return fail(`event ${seq} does not chain from the line before it (its previousHash is not that line's hash)`, seq)
    if (last === null && seq === 1 && previousHash !== GENESIS_HASH) return fail('event 1 must chain from the genesis hash', seq)
    if (previousHash === null) return fail(`event ${seq} has no previousHash: its predecessor was missing from the log when it was exported`, seq)
    const link = linkOf(previousHash, input, hash, key, keyed > 0)
    if (link === 'broken') {
      const hint = key === null ? ' (or the log is keyed: verify with the SCOPEWARD_MASTER_KEY it was written with)' : ''
      return fail(`event ${seq} (${input.action}) was changed: its hash does not match its content and its predecessor${hint}`, seq)
    }
    if (link === 'keyed') keyed++
    if (hash === options.head) anchorSeen = true
    first ??= seq
    last = { seq, hash }
  }
  if (key !== null && events > 0 && keyed === 0)
    return { ok: false, events, line: lineNo, seq: null, problem: 'no event is keyed with this master key: the log was never written with it' }
  if (options.head != null && !anchorSeen)
    return {
      ok: false,
      events,
      line: lineNo,
      seq: null,
      problem: `the anchored head ${options.head} is not in the export: the export ends before it, or lines up to it were changed`,
    }
  return { ok: true, events, keyed, first, head: last }
}

/** One export line as its parts, or what is wrong with it. */
function parseExportLine(text: string): { seq: number; hash: string; previousHash: string | null; input: AuditEventInput } | string {
  let line: Record<string, unknown>
  try {
    line = JSON.parse(text) as Record<string, unknown>
  } catch {
    return 'not JSON'
  }
  if (line === null || typeof line !== 'object' || Array.isArray(line)) return 'not a JSON object'
  const { seq, hash, previousHash, id, at, actor, appId, action, target, requestId, ip, details } = line
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return 'seq must be a positive integer'
  if (typeof hash !== 'string' || !HEX64.test(hash)) return 'hash must be 64 hex characters'
  if (previousHash !== null && (typeof previousHash !== 'string' || !HEX64.test(previousHash))) return 'previousHash must be 64 hex characters or null'
  const instant = typeof at === 'string' ? Date.parse(at) : NaN
  if (Number.isNaN(instant)) return 'at must be an ISO 8601 time'
  const nullableText = (v: unknown) => v === null || typeof v === 'string'
  if (typeof id !== 'string' || typeof action !== 'string' || ![actor, appId, target, requestId, ip].every(nullableText))
    return 'id, action, actor, appId, target, requestId and ip must be strings (or null)'
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return 'details must be a JSON object'
  return {
    seq: seq as number,
    hash,
    previousHash: previousHash,
    input: {
      id,
      at: instant,
      actor: actor as string | null,
      appId: appId as string | null,
      action,
      target: target as string | null,
      requestId: requestId as string | null,
      ip: ip as string | null,
      details: details as Record<string, unknown>,
    },
  }
}
