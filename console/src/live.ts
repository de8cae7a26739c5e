// Live tables: the console listens to `tokenEvents` over graphql-ws on this origin's /graphql
// (README "Subscriptions") and asks a page to reload when a token changes. Quiet by design: a socket
// that is refused or drops leaves the page as it was (its HTTP queries still work) and reconnects
// with backoff; a refused token (4401, 4403) is not retried, the HTTP client deals with it.
import { createClient, type Client } from 'graphql-ws'
import { useEffect, useRef } from 'react'
import { session } from './api'

const EVENTS = 'subscription ConsoleTokenEvents { tokenEvents { type data { tokenId } } }'
/** Events arriving together (a cascade, a bulk revocation) cause one reload. */
const SETTLE_MS = 150
/** Close codes that mean the token itself was refused or is over its limit: retrying would only be refused again. */
const FINAL_CLOSES = new Set([4401, 4403, 4429])

type Listener = (tokenId: string | null) => void

const listeners = new Set<Listener>()
let client: Client | null = null
let stop: (() => void) | null = null
let signedInAs: string | null = null
let closing: ReturnType<typeof setTimeout> | null = null
/** How long the socket outlives its last page: moving from the table to a token keeps one subscription. */
const LINGER_MS = 5000

/** Retry waits: 1 s, 2 s, 4 s … up to 30 s, with jitter so that many tabs do not reconnect at once. */
async function backoff(retries: number): Promise<void> {
  const ms = Math.min(30_000, 1000 * 2 ** retries) * (0.5 + Math.random() / 2)
  await new Promise((resolve) => setTimeout(resolve, ms))
}

function url(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`
}

/** Opens the one shared socket for the signed-in token (again, when the token changed). */
function connect(): void {
  if (closing) clearTimeout(closing)
  closing = null
  const token = session.token
  if (client && signedInAs === token) return
  disconnect()
  if (!token) return
  signedInAs = token
  let connectedBefore = false
  client = createClient({
    url: url(),
    connectionParams: { token },
    lazy: false,
    retryAttempts: Infinity,
    retryWait: backoff,
    shouldRetry: (closed) => !(closed instanceof CloseEvent && FINAL_CLOSES.has(closed.code)),
    on: {
      // After a reconnection events may have been missed: every page reloads once.
      connected: () => {
        if (connectedBefore) for (const l of listeners) l(null)
        connectedBefore = true
      },
    },
  })
  stop = client.subscribe<{ tokenEvents: { type: string; data: { tokenId: string | null } } }>(
    { query: EVENTS },
    {
      next: ({ data }) => {
        const tokenId = data?.tokenEvents.data.tokenId ?? null
        for (const l of listeners) l(tokenId)
      },
      error: () => undefined,
      complete: () => undefined,
    },
  )
}

/** Closes the socket now (signing out: the old token's socket does not linger). */
export function closeTokenEvents(): void {
  if (closing) clearTimeout(closing)
  closing = null
  disconnect()
}

function disconnect(): void {
  stop?.()
  void client?.dispose()
  client = null
  stop = null
  signedInAs = null
}

/**
 * Calls `reload` (settled: once per burst) when a token event arrives, or, with `tokenId`, when
 * one about that token does; and after a reconnection. The socket is shared by the pages that use
 * it and closed a few seconds after the last one is gone.
 */
export function useTokenEvents(reload: () => void, tokenId?: string): void {
  const latest = useRef(reload)
  latest.current = reload
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null
    const listener: Listener = (about) => {
      if (tokenId !== undefined && about !== null && about !== tokenId) return
      if (timer) return
      timer = setTimeout(() => {
        timer = null
        latest.current()
      }, SETTLE_MS)
    }
    listeners.add(listener)
    connect()
    return () => {
      listeners.delete(listener)
      if (timer) clearTimeout(timer)
      if (listeners.size === 0) closing = setTimeout(disconnect, LINGER_MS)
    }
  }, [tokenId])
}
