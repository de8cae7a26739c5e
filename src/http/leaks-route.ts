import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseBearer } from '../auth/credentials.js'
import { MAX_TOKEN_LENGTH } from '../auth/failure.js'
import { authenticate } from '../domain/authenticate.js'
import type { Principal } from '../domain/context.js'
import { reportLeak, type LeakOutcome } from '../domain/report-leak.js'
import { malformedText } from '../text.js'
import { leakReportSignatureValid, type LeakReportKeys } from './leak-report-keys.js'
import { sendJson } from './respond.js'
import { authRequestOf, type RouteContext } from './route.js'
import { readJsonObject, V1Error, withV1Errors } from './v1-errors.js'

/** Matches one GitHub message may carry: GitHub batches, this bounds the work of one request. */
const MAX_MATCHES = 100

/** Whether a principal may report leaks: it holds tokens:report-leak, or it is a root-app token without a subject holding tokens:write (it could revoke any token anyway). */
function mayReport(principal: Principal): boolean {
  if (principal.scopes.has('tokens:report-leak')) return true
  return principal.app.isRoot && principal.token.subject === null && principal.scopes.has('tokens:write')
}

/** Optional text of a GitHub match (url, source), kept for the audit log only when it is plain text of sane length. */
function optionalText(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length <= max && malformedText(value) === null && !/[\u0000-\u001f]/.test(value) ? value : null
}

/**
 * POST /v1/leaks: leaked tokens, reported to be revoked at once (src/domain/report-leak.ts).
 *
 * - GitHub secret scanning (partner program): a JSON array of `{token, type, url, source}`,
 *   signed with ECDSA P-256 SHA-256 over the raw body, the signature in
 *   `Github-Public-Key-Signature` (base64 DER) and the key named by `Github-Public-Key-Identifier`
 *   among SCOPEWARD_LEAK_REPORT_KEYS. Answered with GitHub's feedback format, one entry per match:
 *   `{token_hash, token_type, label}` (`true_positive` for a token of this instance,
 *   `false_positive` otherwise); the token itself is never echoed, only its SHA-256.
 * - A reporter's own form: `Authorization: Bearer` with a token holding `tokens:report-leak` (or a
 *   root-app token holding `tokens:write`), JSON `{token}`, answered `{result}`: `revoked`,
 *   `already_revoked` or `unknown`.
 */
export function leaksRoute(keys: LeakReportKeys) {
  return withV1Errors(async (req: IncomingMessage, res: ServerResponse, rc: RouteContext): Promise<void> => {
    const signature = req.headers['github-public-key-signature']
    const request = { requestId: rc.requestId, ip: rc.ip }
    if (signature !== undefined) {
      const identifier = req.headers['github-public-key-identifier']
      const key = typeof identifier === 'string' ? keys.get(identifier) : undefined
      if (keys.size === 0) throw new V1Error('invalid_client', 'signed leak reports are not configured here (SCOPEWARD_LEAK_REPORT_KEYS)')
      if (!key || typeof signature !== 'string' || !leakReportSignatureValid(key, Buffer.from(rc.body, 'utf8'), signature))
        throw new V1Error('invalid_client', 'the leak report signature does not verify against a configured key')
      const matches = readMatches(req, rc.body)
      const feedback = []
      for (const match of matches) {
        const outcome = await reportLeak(rc.domain, match.token, { kind: 'github', url: optionalText(match.url, 2000), source: optionalText(match.source, 100) }, request)
        feedback.push({
          token_hash: createHash('sha256').update(match.token).digest('hex'),
          token_type: match.type,
          label: outcome === 'unknown' ? 'false_positive' : 'true_positive',
        })
      }
      return sendJson(res, 200, feedback)
    }
    const presented = parseBearer(req.headers.authorization)
    if (!presented) throw new V1Error('invalid_client', 'a leak report needs a bearer token holding tokens:report-leak, or GitHub’s signature')
    const caller = await authenticate(rc.domain, presented, authRequestOf(req, rc))
    if (!caller.ok) {
      rc.onAuthFailure(caller.reason, presented)
      throw new V1Error('invalid_client', 'the bearer token is invalid, expired or revoked')
    }
    rc.principal = caller.principal
    if (!mayReport(caller.principal)) throw new V1Error('insufficient_scope', 'the bearer token does not hold tokens:report-leak', undefined, 'tokens:report-leak')
    const body = readJsonObject(req, rc.body)
    for (const key of Object.keys(body)) if (key !== 'token') throw new V1Error('invalid_request', `${key.slice(0, 50)}: unknown field`, key.slice(0, 50))
    const token = body.token
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)
      throw new V1Error('invalid_request', `token: required, a string of at most ${MAX_TOKEN_LENGTH} characters`, 'token')
    const result: LeakOutcome = await reportLeak(rc.domain, token, { kind: 'token', principal: caller.principal }, request)
    sendJson(res, 200, { result })
  })
}

interface GitHubMatch {
  token: string
  type: string
  url?: unknown
  source?: unknown
}

/** GitHub's message: a JSON array of matches, each with a string `token` and `type`. */
function readMatches(req: IncomingMessage, body: string): GitHubMatch[] {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') throw new V1Error('invalid_request', 'the request body must be application/json')
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    throw new V1Error('invalid_request', 'the request body is not valid JSON')
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > MAX_MATCHES)
    throw new V1Error('invalid_request', `the body must be a JSON array of 1 to ${MAX_MATCHES} matches`)
  return parsed.map((match: unknown, i) => {
    const m = match as Partial<GitHubMatch> | null
    if (typeof m !== 'object' || m === null || typeof m.token !== 'string' || m.token.length === 0 || m.token.length > MAX_TOKEN_LENGTH)
      throw new V1Error('invalid_request', `[${i}].token: required, a string of at most ${MAX_TOKEN_LENGTH} characters`, 'token')
    if (typeof m.type !== 'string' || m.type.length > 100) throw new V1Error('invalid_request', `[${i}].type: required, a string of at most 100 characters`, 'type')
    return m as GitHubMatch
  })
}
