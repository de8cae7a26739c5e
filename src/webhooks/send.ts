// One delivery attempt over HTTP(S). The host name is resolved here (node:dns lookup) and every
// address it gives is checked before connecting, then the socket goes to that address itself (the
// Host header and TLS server name keep the name): a name cannot resolve to a public address for the
// check and to a private one for the connection. Redirects are not followed; at most 1 KB of the
// response body is kept; the whole attempt is bounded by the timeout.

import { lookup } from 'node:dns/promises'
import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { isPrivateAddress } from './address-guard.js'

export const MAX_RESPONSE_BODY = 1024

/**
 * Connections are kept alive between attempts, pooled by the checked address (the request's `host`
 * is that address, and TLS's server name is part of the pool key): a reused socket goes where a
 * check allowed, and a receiver's deliveries do not each pay a TCP (and TLS) handshake.
 */
const AGENTS = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) }

export interface SendResult {
  ok: boolean
  statusCode: number | null
  error: string | null
  /** At most MAX_RESPONSE_BODY bytes of the response body. */
  body: string | null
}

export async function sendWebhook(url: string, body: string, headers: Record<string, string>, options: { timeoutMs: number; allowPrivate: boolean }): Promise<SendResult> {
  const fail = (error: string): SendResult => ({ ok: false, statusCode: null, error, body: null })
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return fail('the URL is invalid')
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return fail(`refused: scheme ${target.protocol} is not http(s)`)
  const host = target.hostname.replace(/^\[|\]$/g, '')
  let addresses: { address: string; family: number }[]
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true })
  } catch (error) {
    return fail(`DNS lookup of ${host} failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  const first = addresses[0]
  if (!first) return fail(`DNS lookup of ${host} gave no address`)
  if (!options.allowPrivate) {
    const refused = addresses.find((a) => isPrivateAddress(a.address))
    if (refused) return fail(`refused: ${host} resolves to ${refused.address}, a private, loopback or link-local address (SCOPEWARD_WEBHOOK_ALLOW_PRIVATE)`)
  }
  const secure = target.protocol === 'https:'
  return new Promise<SendResult>((resolve) => {
    let settled = false
    const done = (result: SendResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(result)
    }
    const request = (secure ? https : http).request({
      host: first.address,
      family: first.family,
      port: target.port || (secure ? 443 : 80),
      path: `${target.pathname}${target.search}`,
      method: 'POST',
      agent: secure ? AGENTS.https : AGENTS.http,
      ...(secure && !isIP(host) ? { servername: host } : {}),
      headers: { ...headers, host: target.host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Scopeward-Webhooks/1' },
    })
    const timer = setTimeout(() => {
      request.destroy()
      done(fail(`timed out after ${options.timeoutMs} ms`))
    }, options.timeoutMs)
    request.on('error', (error: NodeJS.ErrnoException) => done(fail(`connection failed: ${error.code ?? error.message}`)))
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      let size = 0
      const finish = (cut: boolean): void => {
        const status = response.statusCode ?? 0
        const text = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BODY).toString('utf8')
        const ok = status >= 200 && status < 300
        const error = ok ? null : status >= 300 && status < 400 ? `redirect not followed (status ${status})` : `status ${status}`
        done({ ok, statusCode: status, error, body: text })
        // A body read to its end leaves the socket to the pool; one cut short (or broken) closes it.
        if (cut) response.destroy()
      }
      response.on('data', (chunk: Buffer) => {
        if (size < MAX_RESPONSE_BODY) chunks.push(chunk)
        size += chunk.length
        if (size >= MAX_RESPONSE_BODY) finish(true)
      })
      response.on('end', () => finish(false))
      response.on('error', () => finish(true))
    })
    request.end(body)
  })
}
