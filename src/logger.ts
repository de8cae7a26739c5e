import { pino, type Logger } from 'pino'
import { BatchedDestination } from './log-destination.js'
import { redactSecrets } from './text.js'

/**
 * JSON logs (pino). Credentials are redacted by path as a second line of defence; the first is
 * that no code logs a header, body or plaintext token at all.
 *
 * Without a destination, lines go to stdout in batches (src/log-destination.ts): a line is
 * buffered and written with the others of its tick (no write(2) per line on the request path), and
 * at most 1 MiB waits for a slow reader before writing blocks. `flushLogger` writes what is
 * buffered; `scopeward serve` calls it before it exits, and the destination flushes on process exit.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'scopeward' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'secret', '*.secret', 'token', 'client_secret'], censor: '[redacted]' },
    // An error's message and stack may quote an input (a driver echoing a parameter): credentials in them are cut.
    serializers: { err: (err: Error) => redactError(pino.stdSerializers.err(err)) },
  }
  return destination ? pino(options, destination as never) : pino(options, new BatchedDestination(1))
}

/** Resolves once every line logged so far is written (for an asynchronous destination; at once for others). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((done) => {
    try {
      logger.flush(() => done())
    } catch {
      // A destination that cannot flush (already closed) has nothing left to write.
      done()
    }
  })
}

function redactError<T extends { message?: unknown; stack?: unknown }>(serialized: T): T {
  const out = { ...serialized }
  if (typeof out.message === 'string') out.message = redactSecrets(out.message)
  if (typeof out.stack === 'string') out.stack = redactSecrets(out.stack)
  return out
}

export type { Logger }
