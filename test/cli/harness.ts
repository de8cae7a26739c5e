// The command line in process: `run(argv, io)` with buffers for stdout and stderr, on a fresh
// database (SQLite, or PostgreSQL with SCOPEWARD_TEST_DB=postgres). No child process: a call costs
// what the command costs.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CliIo } from '../../src/cli/io.js'
import { run } from '../../src/cli/run.js'
import { createTestDatabase } from '../store/fresh-pg-database.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export interface IoOptions {
  env?: Record<string, string>
  isTTY?: boolean
  stderrIsTTY?: boolean
  columns?: number
}

/** Runs `scopeward ...args` in process with exactly the settings in `options.env` (none inherited). */
export async function cli(args: string[], options: IoOptions = {}): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...options.env },
    isTTY: options.isTTY ?? false,
    stderrIsTTY: options.stderrIsTTY ?? false,
    columns: options.columns,
  }
  const code = await run(args, io)
  return { code, stdout, stderr }
}

/** Runs a command that must succeed (exit 0) and returns its stdout parsed as JSON. */
export async function cliJson<T = any>(args: string[], options: IoOptions = {}): Promise<T> {
  const result = await cli([...args, '--json'], options)
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}

/** A command that must fail with `code`: its stdout is empty, its stderr has no stack trace. */
export async function cliFails(expected: 1 | 2, args: string[], options: IoOptions = {}): Promise<CliResult> {
  const result = await cli(args, options)
  assert.equal(result.code, expected, `${args.join(' ')}: exit ${result.code}\n${result.stdout}${result.stderr}`)
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
  return result
}

/** The JSON error `--json` prints on stderr. */
export function jsonError(result: CliResult): { code: string; message: string; field?: string; details?: Record<string, unknown> } {
  const lines = result.stderr.trim().split('\n')
  return (JSON.parse(lines[lines.length - 1] as string) as { error: { code: string; message: string; field?: string } }).error
}

export interface CliDatabase {
  /** The --db value. */
  db: string
  rootToken: string
  /** A scratch directory, removed by `discard`. */
  dir: string
  discard(): Promise<void>
}

/** A fresh, initialised database for the command line. */
export async function freshDatabase(): Promise<CliDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'scopeward-cli-'))
  const pg = process.env.SCOPEWARD_TEST_DB === 'postgres' ? await createTestDatabase() : null
  const db = pg?.url ?? join(dir, 'cli.db')
  const { rootToken } = await cliJson<{ rootToken: string }>(['init', '--db', db])
  return {
    db,
    rootToken,
    dir,
    discard: async () => {
      await pg?.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** ISO 8601 instants as the GraphQL API writes them (DateTime), or null. */
export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** Every value under a key ending in `At` (or named from/to) is an ISO instant or null; never epoch ms, never "-". */
export function assertIsoTimes(value: unknown, path = '$'): void {
  if (Array.isArray(value)) return value.forEach((v, i) => assertIsoTimes(v, `${path}[${i}]`))
  if (value === null || typeof value !== 'object') return
  for (const [key, v] of Object.entries(value)) {
    if (/At$|^(from|to)$/.test(key) && key !== 'details') {
      assert.ok(v === null || (typeof v === 'string' && ISO_INSTANT.test(v)), `${path}.${key} = ${JSON.stringify(v)} is not an ISO instant or null`)
    }
    assert.notEqual(v, '-', `${path}.${key} is a table placeholder`)
    if (key !== 'details') assertIsoTimes(v, `${path}.${key}`)
  }
}
