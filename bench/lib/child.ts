/**
 * Server-child side of the protocol with bench/run.ts (over the IPC channel of child_process.fork/spawn):
 *   child → stdout: one JSON line {"port": n, ...info} once listening (or {"skip": "reason"}).
 *   parent → {type:'mark'}: start of a measured run (CPU baseline taken).
 *   parent → {type:'stats'}: child answers {type:'stats', cpuUs, hwmKb, rssKb} for the run since 'mark'.
 *   parent → {type:'memory'}: child answers {type:'memory', ...process.memoryUsage(), hwmKb} (bench/mem-load.ts samples it under load).
 *   parent → {type:'task', name, ...}: variant-specific in-process work (e.g. token-check micro-bench).
 *   parent → {type:'exit'}: exit(0) (flushes --cpu-prof).
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { Readable } from 'node:stream'

/** A task's answer, or a promise of it. */
export type TaskHandler = (msg: Record<string, unknown>) => unknown

export function procStatusKb(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  return m ? Number(m[1]) : NaN
}

export function announce(info: Record<string, unknown>, tasks: Record<string, TaskHandler> = {}, onExit?: () => void | Promise<void>): void {
  let mark = process.cpuUsage()
  process.on('message', async (raw) => {
    const msg = raw as { type: string; id?: number; name?: string }
    try {
      if (msg.type === 'mark') {
        mark = process.cpuUsage()
        process.send?.({ type: 'marked', id: msg.id })
      } else if (msg.type === 'stats') {
        const d = process.cpuUsage(mark)
        process.send?.({ type: 'stats', id: msg.id, cpuUs: d.user + d.system, hwmKb: procStatusKb('self', 'VmHWM'), rssKb: procStatusKb('self', 'VmRSS') })
      } else if (msg.type === 'memory') {
        process.send?.({ type: 'memory', id: msg.id, ...process.memoryUsage(), hwmKb: procStatusKb('self', 'VmHWM') })
      } else if (msg.type === 'task') {
        const handler = tasks[msg.name ?? '']
        if (!handler) throw new Error(`no task ${msg.name}`)
        const result = await handler(msg)
        process.send?.({ type: 'task', id: msg.id, result })
      } else if (msg.type === 'exit') {
        // Plain exit (flushes --cpu-prof at once); a graceful close can wait seconds for keep-alive sockets. The DB is a temp copy.
        void onExit
        process.exit(0)
      }
    } catch (error) {
      process.send?.({ type: 'error', id: msg.id, message: (error as Error).stack ?? String(error) })
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.stdout.write(JSON.stringify(info) + '\n')
}

/** The one query every GraphQL variant serves (Scopeward's connection shape). */
export const LIST_QUERY = '{ tokens(first: 20) { edges { node { id name scopes createdAt expiresAt app { id name } } } } }'
/** The list query plus the per-token fields that need a store read of their own (SF): each must be one batched read per page, not one per row. */
export const LIST_FIELDS_QUERY = '{ tokens(first: 20) { edges { node { id name scopes createdAt expiresAt app { id name } createdBy { id name } usedScopes lastUsedAt } } } }'
/** The list as a flat list of tokens (AF: bare Apollo served idiomatically without a connection). */
export const FLAT_LIST_QUERY = '{ tokens(first: 20) { id name scopes createdAt expiresAt app { id name } } }'

/**
 * The announce line of a server child, read from its stdout: the first JSON line that is not a
 * pino log line (Scopeward logs to stdout, as `scopeward serve` does). Everything after it (the
 * server's log) goes to a `cat > /dev/null` of its own, as a deployment's log collector reads it:
 * another process, so it keeps reading while autocannon keeps this one busy (a reader that lags
 * would make the server wait for it: src/log-destination.ts).
 */
export function readAnnounce<T>(stdout: Readable, name: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let buffered = ''
    let done = false
    stdout.on('data', (chunk: Buffer) => {
      if (done) return
      buffered += chunk.toString()
      let nl: number
      while (!done && (nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        let parsed: Record<string, unknown>
        try {
          parsed = JSON.parse(line) as Record<string, unknown>
        } catch {
          done = true
          reject(new Error(`${name}: not a JSON line on stdout: ${line.slice(0, 200)}`))
          return
        }
        if (typeof parsed.level === 'number' && typeof parsed.msg === 'string') continue
        done = true
        buffered = ''
        stdout.removeAllListeners('data')
        stdout.pause()
        const drain = spawn('sh', ['-c', 'exec cat > /dev/null'], { stdio: [stdout, 'ignore', 'inherit'] })
        drain.unref()
        stdout.destroy()
        resolve(parsed as T)
      }
    })
  })
}
