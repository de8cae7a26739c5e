// Issue 17: `scopeward serve` caps how far V8 lets the old generation grow past what the last full
// collection left alive (src/cli/serve.ts `tuneHeapForServing`). The same churn, in two fresh
// processes, with and without the setting: a live set plus short-lived batches that survive a few
// scavenges (as a server's requests do) must peak well lower with it.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'

const CHURN = (tuned: boolean): string => `
  ${tuned ? "const { tuneHeapForServing } = await import('./src/cli/serve.ts'); tuneHeapForServing()" : ''}
  const live = Array.from({ length: 200_000 }, (_, i) => ({ i, s: 'x' + i, a: [i, i + 1] }))
  const window = []
  let peak = 0
  for (let r = 0; r < 1500; r++) {
    window.push(Array.from({ length: 2000 }, (_, i) => ({ r, i, s: 'y' + i, a: [r, i] })))
    if (window.length > 40) window.shift()
    if (r % 25 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal)
  }
  console.log(JSON.stringify({ peak, live: live.length }))
`

function peakHeap(tuned: boolean): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHURN(tuned)], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' })
  return (JSON.parse(out.trim().split('\n').pop() as string) as { peak: number }).peak
}

test('17 tuneHeapForServing: the old generation grows to 1.5× the live heap, not V8 default of up to 4×', () => {
  const plain = peakHeap(false)
  const tuned = peakHeap(true)
  assert.ok(tuned < plain * 0.75, `peak heap with the setting ${tuned >> 20} MiB, without ${plain >> 20} MiB`)
})
