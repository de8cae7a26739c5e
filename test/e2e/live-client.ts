// A graphql-ws client over `ws`, thin enough that a test sees every message and close code the
// server sends (the graphql-transport-ws protocol, spoken by hand).
import WebSocket from 'ws'
import type { TestServer } from './harness.js'
import { waitFor } from '../wait-for.js'

export interface LiveMessage {
  type: string
  id?: string
  payload?: any
}

export interface LiveSocket {
  ws: WebSocket
  messages: LiveMessage[]
  /** Settles with the close code and reason once the socket is closed. */
  closed: Promise<{ code: number; reason: string }>
  /** The HTTP status of a refused upgrade (null while none). */
  refusedWith: () => number | null
  /** The headers of a refused upgrade's answer. */
  refusedHeaders: () => Record<string, string | string[] | undefined>
  send(message: LiveMessage): void
  /** Starts subscription `id`. */
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void
  /** The messages the server sent for operation `id` so far. */
  received(id: string): LiveMessage[]
  close(): Promise<void>
}

/** Opens a socket on /graphql; with `init`, sends connection_init with it and resolves once the server acknowledged or closed. */
export async function openLive(server: TestServer, init?: Record<string, unknown>, options: { headers?: Record<string, string>; protocol?: string } = {}): Promise<LiveSocket> {
  const url = server.url.replace(/^http/, 'ws') + '/graphql'
  const ws = new WebSocket(url, options.protocol ?? 'graphql-transport-ws', { headers: options.headers ?? {} })
  const messages: LiveMessage[] = []
  let refused: number | null = null
  let refusedHeaders: Record<string, string | string[] | undefined> = {}
  const closed = new Promise<{ code: number; reason: string }>((done) => {
    ws.on('close', (code, reason) => done({ code, reason: reason.toString('utf8') }))
    ws.on('unexpected-response', (_req, res) => {
      refused = res.statusCode ?? 0
      refusedHeaders = res.headers
      res.resume()
      done({ code: 0, reason: `HTTP ${refused}` })
    })
    ws.on('error', () => undefined)
  })
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as LiveMessage))
  const opened = await Promise.race([new Promise<boolean>((done) => ws.once('open', () => done(true))), closed.then(() => false)])
  const socket: LiveSocket = {
    ws,
    messages,
    closed,
    refusedWith: () => refused,
    refusedHeaders: () => refusedHeaders,
    send: (message) => ws.send(JSON.stringify(message)),
    subscribe(id, query, variables) {
      socket.send({ type: 'subscribe', id, payload: { query, ...(variables ? { variables } : {}) } })
    },
    received: (id) => messages.filter((m) => m.id === id),
    async close() {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000)
      await closed
    },
  }
  if (opened && init !== undefined) {
    socket.send({ type: 'connection_init', payload: init })
    let settled = false
    void closed.then(() => (settled = true))
    await waitFor(() => settled || messages.some((m) => m.type === 'connection_ack'), { timeoutMs: 10_000, what: 'connection_ack or close' })
  }
  return socket
}

export const TOKEN_EVENTS = `subscription Events($appId: ID, $types: [TokenEventType!]) {
  tokenEvents(appId: $appId, types: $types) { type id timestamp data { tokenId appId subject successorId reason revokedWith scopes actor auditEventId seq } }
}`

/** The tokenEvents payloads among `received`. */
export function eventsOf(received: LiveMessage[]): any[] {
  return received.filter((m) => m.type === 'next' && m.payload?.data?.tokenEvents).map((m) => m.payload.data.tokenEvents)
}
