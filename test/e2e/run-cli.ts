// `scopeward …` as a child process with exactly the settings given (SCOPEWARD_DB and
// SCOPEWARD_MASTER_KEY unset unless passed), for tests that attack through the command line.
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

export function runCli(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, env: { ...process.env, SCOPEWARD_DB: '', SCOPEWARD_MASTER_KEY: '', ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
      },
    )
  })
}
