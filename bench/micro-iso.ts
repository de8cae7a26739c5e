/**
 * The timestamps of one list page, in process: CPU µs to format the 40 of a 20-token page
 * (`createdAt` and `expiresAt`, alternating days as seeded rows have them) with Date#toISOString and
 * with isoTime (src/iso-time.ts), alternating rounds.
 *   node --import tsx bench/micro-iso.ts [--rounds 4]
 */
import { parseArgs } from 'node:util'
import { isoTime } from '../src/iso-time.js'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '4' } } })
const createdAt = Date.now()
// As bench/seed.ts: rows created 1 ms apart, expiring ten years later.
const page = Array.from({ length: 20 }, (_, i) => [createdAt + i, createdAt + i + 10 * 365 * 86_400_000]).flat()
const builtIn = (ms: number): string => new Date(ms).toISOString()
let chars = 0

/** CPU µs per page, over `pages` pages (each shifted by 1 ms, as successive requests' rows would not be). */
function perPage(format: (ms: number) => string, pages: number): number {
  const before = process.cpuUsage()
  for (let k = 0; k < pages; k++) for (const ms of page) chars += format(ms + k).length
  const used = process.cpuUsage(before)
  return (used.user + used.system) / pages
}

for (let round = 1; round <= Number(values.rounds); round++) {
  const old = perPage(builtIn, 20_000)
  const now = perPage(isoTime, 20_000)
  console.log(`round ${round}: toISOString ${old.toFixed(1)} µs/page, isoTime ${now.toFixed(1)} µs/page (${(old / now).toFixed(1)}×)`)
}
if (chars === 0) throw new Error('nothing formatted')
