/**
 * CPU per access log line, in process: Scopeward's logger (src/logger.ts: redaction, the err
 * serializer) writing the access line of src/http/server.ts to stdout through a synchronous or an
 * asynchronous pino destination or the batched one it ships with (src/log-destination.ts), against bare pino, minus the same loop with logging off. Run it
 * with stdout on a pipe, as a server's log usually is; results go to stderr:
 *   node --import tsx bench/log-cost.ts [--lines 200000] | cat > /dev/null
 */
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { createLogger } from '../src/logger.js'
import { BatchedDestination } from '../src/log-destination.js'

const { values } = parseArgs({ options: { lines: { type: 'string', default: '200000' } } })
const lines = Number(values.lines)
const line = { requestId: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924', tokenId: 'T0000000000000AB', method: 'POST', path: '/graphql', status: 200, ms: 12.34, ip: '127.0.0.1' }

let silentUs = 0

async function cost(name: string, make: (dest: pino.DestinationStream) => pino.Logger, sync: boolean | 'batched'): Promise<void> {
  const dest = sync === 'batched' ? (new BatchedDestination(1) as unknown as pino.DestinationStream) : pino.destination({ dest: 1, sync, minLength: 0 })
  const logger = make(dest)
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      logger.info(line, 'request')
      // As a server does: lines come from many ticks, so an asynchronous destination gets to write between them.
      if (i % 50 === 49) await new Promise((done) => setImmediate(done))
    }
  }
  await run(20_000)
  const before = process.cpuUsage()
  await run(lines)
  await new Promise<void>((done) => logger.flush(() => done()))
  const used = process.cpuUsage(before)
  const us = (used.user + used.system) / lines
  if (logger.level === 'silent') silentUs = us
  else console.error(`${name.padEnd(40)} ${(us - silentUs).toFixed(2)} µs CPU/line`)
}

await cost('logging off (the loop alone)', (dest) => createLogger('silent', dest as never), true)
await cost('Scopeward logger, sync destination', (dest) => createLogger('info', dest as never), true)
await cost('Scopeward logger, async destination', (dest) => createLogger('info', dest as never), false)
await cost('Scopeward logger, as shipped (batched)', (dest) => createLogger('info', dest as never), 'batched')
await cost('access logger (src/http/server.ts), async', (dest) => createLogger('info', dest as never).child({}, { redact: { paths: [] } }), false)
await cost('bare pino, sync destination', (dest) => pino({ level: 'info' }, dest), true)
await cost('bare pino, async destination', (dest) => pino({ level: 'info' }, dest), false)
