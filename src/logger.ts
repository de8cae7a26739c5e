import { pino, type Logger } from 'pino'

/**
 * JSON logs (pino). Credentials are redacted by path as a second line of defence; the first is
 * that no code logs a header, body or plaintext token at all.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'scopeward' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'secret', '*.secret', 'token', 'client_secret'], censor: '[redacted]' },
  }
  return destination ? pino(options, destination as never) : pino(options, pino.destination(1))
}

export type { Logger }
