import { setFlagsFromString } from 'node:v8'
import { loadConfig } from '../config.js'
import { createLogger, flushLogger } from '../logger.js'
import { createScopeward } from '../scopeward.js'
import { ScopewardError } from '../errors.js'
import { displayDb } from '../compose.js'
import { redactSecrets } from '../text.js'
import type { CliIo } from './io.js'

/**
 * `scopeward serve`: migrates, initialises an empty database (printing the root token once, to
 * stderr), says which database it serves, serves until SIGTERM/SIGINT, then drains in-flight
 * requests, flushes usage and exits 0.
 */
export async function serve(flags: { db?: string; port?: string; host?: string }, io: CliIo): Promise<void> {
  tuneHeapForServing()
  const config = loadConfig(flags, io.env)
  const logger = createLogger(config.logLevel)
  const app = await createScopeward(config, { logger }).catch((error: unknown) => {
    // The driver's message alone ("connect ECONNREFUSED") does not say which database; a URL's password is never printed.
    throw new ScopewardError('INTERNAL_SERVER_ERROR', `cannot serve database ${displayDb(config.db)}: ${redactSecrets((error as Error)?.message ?? String(error))}`)
  })
  if (config.masterKey === null) {
    io.stderr.write(
      'WARNING: SCOPEWARD_MASTER_KEY is not set: the private signing keys are stored in plaintext (whoever reads the database can sign tokens) and the audit chain is unkeyed (whoever writes the database can rewrite it).\n',
    )
  }
  if (app.rootToken) {
    io.stderr.write(`\nScopeward initialised ${displayDb(config.db)}.\nRoot token (shown once, store it now; it expires in 90 days):\n\n  ${app.rootToken}\n\n`)
  }
  // The signal handlers go in before the banner: a supervisor (or a test) that signals as soon as it reads
  // "listening" must reach the graceful path, never the default disposition that kills the process outright.
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    const force = setTimeout(() => process.exit(1), 10_000)
    force.unref()
    // The log is asynchronous: what is buffered is written before the process exits.
    app.close().then(
      () => flushLogger(logger).then(() => process.exit(0)),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed')
        void flushLogger(logger).then(() => process.exit(1))
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  const address = await app.http.listen(config.port, config.host)
  io.stderr.write(`Scopeward database: ${displayDb(config.db)}\n`)
  io.stderr.write(`Scopeward listening on http://${address.address}:${address.port}/graphql\n`)
}

/**
 * The old generation may grow to 1.5× what the last full collection left alive, not V8's default of up
 * to 4× under a high allocation rate: under load a server promotes every request's short-lived objects,
 * and the default let Scopeward's heap grow to ~4× its ~30 MiB live set before collecting (peak RSS, and
 * its CPU cost, measured in bench/RESULTS.md, "Round 4: memory"). V8 reads the flag at each collection,
 * so setting it at start applies it; `scopeward serve` does so for every user (README, "Performance").
 */
export function tuneHeapForServing(): void {
  setFlagsFromString('--heap-growing-percent=50')
}
