import pg from 'pg'
import type { StoreChange } from '../domain/model.js'

/** The NOTIFY channel every instance's mutating transactions publish their changes on. */
export const CHANGE_CHANNEL = 'scopeward'
/** application_name of the listening connection: lets operators (and tests) find it in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'scopeward-listen'

/** NOTIFY payloads must stay under 8000 bytes; larger changes are announced as 'all'. */
const MAX_PAYLOAD = 7_900

/**
 * What a notification carries: the notices the outbox derived from one committed write (outbox.ts,
 * noticesOf) and the instance that made it (which delivered them at commit already). `change` is the
 * single-notice form of earlier versions, still understood while instances of both run side by side.
 */
export interface ChangeNotice {
  origin: string
  changes?: StoreChange[]
  change?: StoreChange
}

/** The NOTIFY payload of a write's notices; notices too large for one notification become 'all'. */
export function noticePayload(origin: string, changes: readonly StoreChange[]): string {
  const payload = JSON.stringify({ origin, changes: [...changes] } satisfies ChangeNotice)
  return payload.length <= MAX_PAYLOAD ? payload : JSON.stringify({ origin, changes: [{ kind: 'all' }] } satisfies ChangeNotice)
}

export interface ChangeListenerOptions {
  connectionString: string
  /** Our own instance id: notices from it are skipped, they were delivered at commit. */
  origin: string
  onChange: (change: StoreChange) => void
  /** How often the connection is probed; a backend killed without a FIN is only noticed this way. */
  healthCheckMs?: number
  /** The longest wait between reconnection attempts. */
  maxBackoffMs?: number
}

/**
 * A dedicated connection LISTENing for other instances' changes. When the connection fails, ends,
 * or stops answering the periodic probe, it reconnects with exponential backoff and reports
 * `{ kind: 'all' }`: notifications sent while it was away are lost, so every cache must be dropped.
 */
export class PgChangeListener {
  readonly #options: Required<ChangeListenerOptions>
  #client: pg.Client | null = null
  #timer: NodeJS.Timeout | undefined
  #backoffMs = 0
  #stopped = false
  #connecting: Promise<void> | null = null

  constructor(options: ChangeListenerOptions) {
    this.#options = { healthCheckMs: 5_000, maxBackoffMs: 5_000, ...options }
  }

  /** Connects and LISTENs; resolves once listening (or once the first attempt failed and a retry is scheduled). */
  start(): Promise<void> {
    this.#connecting ??= this.#connect(false)
    return this.#connecting
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    const client = this.#client
    this.#client = null
    if (client) await client.end().catch(() => undefined)
  }

  async #connect(isReconnect: boolean): Promise<void> {
    if (this.#stopped) return
    const client = new pg.Client({ connectionString: this.#options.connectionString, application_name: LISTENER_APPLICATION_NAME })
    // Without an 'error' handler a dropped connection would crash the process.
    client.on('error', () => this.#lost(client))
    client.on('end', () => this.#lost(client))
    client.on('notification', (message) => this.#deliver(message.payload))
    try {
      await client.connect()
      await client.query(`LISTEN ${CHANGE_CHANNEL}`)
    } catch {
      await client.end().catch(() => undefined)
      this.#retry()
      return
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined)
      return
    }
    this.#client = client
    this.#backoffMs = 0
    // A gap: whatever was notified while no one listened is lost, so caches start over.
    if (isReconnect) this.#options.onChange({ kind: 'all' })
    this.#schedule(() => this.#probe(client), this.#options.healthCheckMs)
  }

  #deliver(payload: string | undefined): void {
    let notice: ChangeNotice
    try {
      notice = JSON.parse(payload ?? '') as ChangeNotice
    } catch {
      this.#options.onChange({ kind: 'all' })
      return
    }
    if (typeof notice !== 'object' || notice === null) {
      this.#options.onChange({ kind: 'all' })
      return
    }
    if (notice.origin === this.#options.origin) return
    // A payload of no known shape is a gap: every cache starts over rather than miss a change.
    const changes = notice.changes ?? (notice.change ? [notice.change] : [{ kind: 'all' as const }])
    for (const change of changes) this.#options.onChange(change)
  }

  /** `SELECT 1` with a deadline: a backend terminated silently (or a half-open TCP connection) fails it. */
  async #probe(client: pg.Client): Promise<void> {
    if (this.#client !== client) return
    let deadline: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => reject(new Error('health check timed out')), this.#options.healthCheckMs)
    })
    try {
      await Promise.race([client.query('SELECT 1'), timedOut])
      if (this.#client === client) this.#schedule(() => this.#probe(client), this.#options.healthCheckMs)
    } catch {
      this.#lost(client)
    } finally {
      clearTimeout(deadline)
    }
  }

  /** The connection is gone (error, end or failed probe): drop it and reconnect, once per connection. */
  #lost(client: pg.Client): void {
    if (this.#client !== client) return
    this.#client = null
    clearTimeout(this.#timer)
    client.removeAllListeners('end')
    client.on('error', () => undefined)
    client.end().catch(() => undefined)
    this.#retry()
  }

  /** Tries again after a growing pause; whatever connects after a failure reports a gap. */
  #retry(): void {
    if (this.#stopped) return
    this.#backoffMs = Math.min(this.#options.maxBackoffMs, this.#backoffMs === 0 ? 100 : this.#backoffMs * 2)
    this.#schedule(() => this.#connect(true), this.#backoffMs)
  }

  #schedule(task: () => Promise<void>, ms: number): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void task(), ms)
    this.#timer.unref()
  }
}
