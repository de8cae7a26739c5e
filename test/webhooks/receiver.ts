// A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records what it is sent and
// checks each signature with its own HMAC (node:crypto here, independent of src/webhooks/sign.ts).
// It can answer with another status, go down (close its port) and come back on the same port.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  id: string
  timestamp: number
  signatureValid: boolean
  body: { type: string; id: string; timestamp: string; data: any }
  raw: string
  headers: IncomingHttpHeaders
}

/** Standard Webhooks verification, written from the specification: v1,<base64 HMAC-SHA256(key, id.timestamp.body)>. */
export function verifySignature(secret: string, headers: IncomingHttpHeaders, raw: string): boolean {
  assertSecretShape(secret)
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const expected = createHmac('sha256', key)
    .update(`${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${raw}`)
    .digest()
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .some((part) => {
      const [version, sig] = part.split(',')
      if (version !== 'v1' || !sig) return false
      const given = Buffer.from(sig, 'base64')
      return given.length === expected.length && timingSafeEqual(given, expected)
    })
}

function assertSecretShape(secret: string): void {
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) throw new Error(`not a whsec_ secret: ${secret}`)
}

export class Receiver {
  readonly received: Received[] = []
  /** Status answered to each request (default 204). */
  status = 204
  /** Extra response headers (a redirect's Location). */
  headers: Record<string, string> = {}
  secret = ''
  /** When true, requests are recorded in `held` and never answered (a delivery in flight). */
  hold = false
  readonly held: string[] = []
  #server: Server | null = null
  port = 0

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`
  }

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        if (this.hold) {
          this.held.push(raw)
          return
        }
        if (this.status >= 200 && this.status < 300) {
          this.received.push({
            id: String(req.headers['webhook-id']),
            timestamp: Number(req.headers['webhook-timestamp']),
            signatureValid: this.secret !== '' && verifySignature(this.secret, req.headers, raw),
            body: JSON.parse(raw),
            raw,
            headers: req.headers,
          })
        }
        res.writeHead(this.status, this.headers)
        res.end('x'.repeat(5000))
      })
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    this.port = (server.address() as AddressInfo).port
    this.#server = server
    return this
  }

  /** Closes the port: attempts fail with a connection error until `start(port)` again. */
  async stop(): Promise<void> {
    const server = this.#server
    this.#server = null
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  ofType(type: string): Received[] {
    return this.received.filter((r) => r.body.type === type)
  }
}
