// The log destination (src/log-destination.ts): a reader that lags makes the writer wait, never
// drop a line nor hold more than the bound; lines still buffered at process.exit are written.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { test } from 'node:test'

const ROOT = resolve(import.meta.dirname, '../..')
const WRITER = resolve(ROOT, 'test/fixtures/log-writer.ts')

/** Runs the writer; its stdout is not read for `stallMs`, then read to the end (never, for Infinity). */
function runWriter(count: number, bound: number, stallMs: number): Promise<{ code: number | null; lines: string[]; maxBuffered: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, String(count), String(bound)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const chunks: Buffer[] = []
  let stderr = ''
  child.stdout.pause()
  if (stallMs !== Infinity)
    setTimeout(() => {
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
      child.stdout.resume()
    }, stallMs)
  else child.on('exit', () => child.stdout.destroy())
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  return new Promise((done) =>
    child.on('close', (code) => {
      const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean)
      const report = stderr.split('\n').find((l) => l.startsWith('{"maxBuffered"'))
      assert.ok(report, `no report on stderr: ${stderr}`)
      done({ code, lines, maxBuffered: (JSON.parse(report) as { maxBuffered: number }).maxBuffered })
    }),
  )
}

test('a reader that lags gets every line, in order, while the writer never holds more than the bound', async () => {
  // 20,000 lines of ~300 bytes (6 MB): far more than the pipe (64 KiB) and the bound (64 KiB) together.
  const bound = 64 * 1024
  const { code, lines, maxBuffered } = await runWriter(20_000, bound, 1_000)
  assert.equal(code, 0)
  assert.equal(lines.length, 20_000)
  lines.forEach((line, i) => assert.equal((JSON.parse(line) as { seq: number }).seq, i))
  // One line past the bound at most: the line that crossed it is the one that makes the writer wait.
  assert.ok(maxBuffered <= bound + 400, `held ${maxBuffered} bytes`)
  assert.ok(maxBuffered > bound / 2, `held only ${maxBuffered} bytes: the reader never lagged, so the bound was not tested`)
})

test('lines still buffered when the process exits are written', async () => {
  const { code, lines } = await runWriter(120, 1024 * 1024, 0)
  assert.equal(code, 0)
  assert.deepEqual(
    lines.map((line) => (JSON.parse(line) as { seq: number }).seq),
    Array.from({ length: 120 }, (_, i) => i),
  )
})

// A timeout, not a measurement: without the give-up the writer never exits, and the test must fail rather than hang.
test('a process exits even when its log reader takes nothing: the exit flush gives up after 10 s without progress', { timeout: 60_000 }, async () => {
  // 20,000 lines under a bound they never reach (64 MiB): they wait in memory, the pipe fills, and nobody reads it.
  const { code, lines } = await runWriter(20_000, 64 * 1024 * 1024, Infinity)
  assert.equal(code, 0)
  assert.deepEqual(lines, [])
})
