import { writeSync } from 'node:fs'

/** Bytes of log the process holds while the reader of its stdout lags; past it, writing blocks until the reader catches up. */
export const MAX_BUFFERED_LOG_BYTES = 1024 * 1024

const pause = new Int32Array(new SharedArrayBuffer(4))
const open = new Set<BatchedDestination>()
// Whatever is still buffered is written before the process exits (process.exit included), so no line is lost;
// only a reader that takes nothing for 10 s loses the rest, since the process must still be able to exit.
const flushAll = (): void => {
  for (const destination of open) destination.flushSync(10_000)
}

/**
 * A log destination for pino over a file descriptor: the lines of one tick are written together at
 * its end (one write(2) per tick, not per line, as pino's default destination does). When the
 * reader lags and the descriptor is non-blocking (a pipe Node has opened, EAGAIN), lines wait in
 * memory up to `maxBuffered` bytes and the server goes on; past that the write blocks until the
 * reader has taken them. On a blocking descriptor a full pipe blocks the write at once. Either
 * way a slow log collector slows the server down instead of growing its memory without bound,
 * and no line is ever dropped.
 */
export class BatchedDestination {
  #lines: string[] = []
  /** The lines of past ticks, as the bytes still to write. */
  #chunks: Buffer[] = []
  /** Characters in #lines plus bytes in #chunks (a bound, not an exact count: a character may take more than a byte). */
  #buffered = 0
  #lineChars = 0
  #scheduled = false
  #retry: NodeJS.Timeout | null = null

  constructor(
    readonly fd: number,
    readonly maxBuffered = MAX_BUFFERED_LOG_BYTES,
  ) {
    if (open.size === 0) process.on('exit', flushAll)
    open.add(this)
  }

  /** Bytes (about) held now, waiting for the reader. */
  get buffered(): number {
    return this.#buffered
  }

  write(line: string): boolean {
    this.#lines.push(line)
    this.#lineChars += line.length
    this.#buffered += line.length
    if (this.#buffered > this.maxBuffered) this.flushSync()
    else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(this.#endOfTick)
    }
    return true
  }

  /** Writes everything buffered, waiting for the reader as long as it takes, or until it has taken nothing for `giveUpAfterMs`. */
  flushSync(giveUpAfterMs = Infinity): void {
    let since = Date.now()
    let left = this.#buffered
    while (!this.#writeSome()) {
      if (this.#buffered < left) [since, left] = [Date.now(), this.#buffered]
      else if (Date.now() - since > giveUpAfterMs) return
      Atomics.wait(pause, 0, 0, 1)
    }
  }

  /** pino's `logger.flush(cb)`. */
  flush(done?: (err?: Error) => void): void {
    this.flushSync()
    done?.()
  }

  /** Flushes and stops watching for the process's exit. */
  end(): void {
    this.flushSync()
    open.delete(this)
    if (open.size === 0) process.off('exit', flushAll)
  }

  #endOfTick = (): void => {
    this.#scheduled = false
    if (this.#writeSome() || this.#retry) return
    // The reader is behind (EAGAIN): try again shortly, without blocking the server meanwhile.
    this.#retry = setTimeout(() => {
      this.#retry = null
      this.#endOfTick()
    }, 5)
    this.#retry.unref()
  }

  /** Writes what the descriptor takes now; true once nothing is left. */
  #writeSome(): boolean {
    if (this.#lines.length > 0) {
      const chunk = Buffer.from(this.#lines.join(''), 'utf8')
      this.#chunks.push(chunk)
      this.#lines = []
      this.#buffered = this.#buffered - this.#lineChars + chunk.length
      this.#lineChars = 0
    }
    let chunk: Buffer | undefined
    while ((chunk = this.#chunks[0])) {
      let written: number
      try {
        written = writeSync(this.fd, chunk)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return false
        // The reader is gone (EPIPE, a closed descriptor): there is nowhere left to write the log to.
        written = chunk.length
      }
      this.#buffered -= written
      if (written < chunk.length) this.#chunks[0] = chunk.subarray(written)
      else this.#chunks.shift()
    }
    return true
  }
}
