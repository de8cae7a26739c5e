/**
 * Server-child side of the protocol with bench/run.ts (over the IPC channel of child_process.fork/spawn):
 *   child → stdout: one JSON line {"port": n, ...info} once listening (or {"skip": "reason"}).
 *   parent → {type:'mark'}: start of a measured run (CPU baseline taken).
 *   parent → {type:'stats'}: child answers {type:'stats', cpuUs, hwmKb, rssKb} for the run since 'mark'.
 *   parent → {type:'task', name, ...}: variant-specific in-process work (e.g. token-check micro-bench).
 *   parent → {type:'exit'}: exit(0) (flushes --cpu-prof).
 */
import { readFileSync } from 'node:fs'

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
