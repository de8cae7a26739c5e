// Waiting in tests is for a condition, never for a fixed time: `waitFor` polls until the
// condition holds and fails, naming what it waited for, once the deadline passes. A slow machine
// then only makes a test slower, not red, and a fast one does not wait for nothing.
import assert from 'node:assert/strict'
import { setTimeout as tick } from 'node:timers/promises'

export interface WaitOptions {
  /** Fails after this long without the condition holding. */
  timeoutMs: number
  /** Pause between two checks (default 10 ms). */
  intervalMs?: number
  /** What is awaited, for the failure message. */
  what?: string
}

/**
 * Polls `condition` until it returns a truthy value, and returns that value. A condition that
 * throws fails at once (the error is the test's answer, not a reason to retry).
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitOptions): Promise<NonNullable<T>> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const value = await condition()
    if (value) return value
    if (Date.now() > deadline) assert.fail(`${options.what ?? 'condition'}: not within ${options.timeoutMs} ms`)
    await tick(options.intervalMs ?? 10)
  }
}
