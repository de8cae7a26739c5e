// A real `scopeward serve` child process on a free loopback port, for crash, shutdown and soak
// tests: the root token and the port are read from its stderr.
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../..')

export interface ChildServer {
  child: ChildProcess
  url: string
  /** Null when the database was already initialised. */
  rootToken: string | null
  stderr: () => string
  /** What the process wrote to stdout (its log), when started with `{ stdout: true }`; else ''. */
  stdout: () => string
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `scopeward serve --db <db> --port 0` and waits until it listens (up to 20 s). */
export async function startChildServer(db: string, env: Record<string, string> = {}, options: { stdout?: boolean } = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--db', db, '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, SCOPEWARD_DB: '', PORT: '', LOG_LEVEL: 'silent', SCOPEWARD_AUTH_FAILURES_PER_MINUTE: '1000000', ...env },
    stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'],
  })
  let stderr = ''
  let stdout = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })))
  const listening = new Promise<string>((done, fail) => {
    // A child that did not start is killed: left running, it would hold the test file open forever.
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`server did not start in 20 s: ${stderr}`))
    }, 20_000)
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
      const match = /listening on (http:\/\/[^/\s]+)\/graphql/.exec(stderr)
      if (match) {
        clearTimeout(timer)
        done(match[1] as string)
      }
    })
    void exited.then(({ code }) => {
      clearTimeout(timer)
      fail(new Error(`server exited (${code}) before listening: ${stderr}`))
    })
  })
  const url = await listening
  return { child, url, rootToken: /(swt_[A-Za-z0-9]{54})/.exec(stderr)?.[1] ?? null, stderr: () => stderr, stdout: () => stdout, exited }
}

/** POSTs a GraphQL operation; network errors (a killed server) resolve to status 0. */
export async function post(url: string, token: string | null, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }> {
  try {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    })
    const text = await res.text()
    let body: any = text
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, body }
  } catch {
    return { status: 0, body: null }
  }
}
