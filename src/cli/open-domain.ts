import { composeCommandDomain, type CommandDomain } from '../compose.js'
import { DEFAULTS, loadConfig } from '../config.js'
import type { CliIo } from './io.js'

/** A domain opened for one command, and how to close it (built by the composition root, src/compose.ts). */
export type OpenedDomain = CommandDomain

export interface OpenOptions {
  /** `--db`, else SCOPEWARD_DB, else the default path. */
  db?: string | undefined
  /** init, migrate: a missing SQLite file is created and an empty database accepted. Others refuse both, creating nothing. */
  create?: boolean
  /** Load the signing-key ring (keys list|rotate): it reads, and may need to unseal, every key. */
  keys?: boolean
}

/** The database a command addresses: `--db`, else SCOPEWARD_DB, else the default path. */
export function databaseOf(io: CliIo, db: string | undefined): string {
  return db ?? (io.env.SCOPEWARD_DB || DEFAULTS.db)
}

/** The domain over a database for a one-shot command (src/compose.ts composeCommandDomain). */
export async function openDomain(io: CliIo, options: OpenOptions = {}): Promise<OpenedDomain> {
  const config = loadConfig({ db: databaseOf(io, options.db) }, io.env)
  return composeCommandDomain(config, { create: options.create ?? false, keys: options.keys ?? false })
}

/** Runs `work` on an opened domain and closes it, whatever happens. */
export async function withDomain<T>(io: CliIo, options: OpenOptions, work: (opened: OpenedDomain) => T | Promise<T>): Promise<T> {
  const opened = await openDomain(io, options)
  try {
    return await work(opened)
  } finally {
    await opened.close()
  }
}
