import type { Domain } from './context.js'
import { verifyAuditChain, type AuditVerdict, type AuditVerifyOptions } from './verify-audit.js'

/** The audit log's chain recomputed (see verifyAuditChain): for callers that hold a Domain, not a store. */
export function checkAuditChain(domain: Domain, options: AuditVerifyOptions = {}): Promise<AuditVerdict> {
  return verifyAuditChain(domain.store, options)
}
