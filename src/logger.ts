import { pino, type Logger } from 'pino'
import { redactSecrets } from './text.js'

/**
 * JSON logs (pino). Credentials are redacted by path as a second line of defence; the first is
 * that no code logs a header, body or plaintext token at all.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'scopeward' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'secret', '*.secret', 'token', 'client_secret'], censor: '[redacted]' },
    // An error's message and stack may quote an input (a driver echoing a parameter): credentials in them are cut.
    serializers: { err: (err: Error) => redactError(pino.stdSerializers.err(err)) },
  }
  return destination ? pino(options, destination as never) : pino(options, pino.destination(1))
}

function redactError<T extends { message?: unknown; stack?: unknown }>(serialized: T): T {
  const out = { ...serialized }
  if (typeof out.message === 'string') out.message = redactSecrets(out.message)
  if (typeof out.stack === 'string') out.stack = redactSecrets(out.stack)
  return out
}

export type { Logger }
