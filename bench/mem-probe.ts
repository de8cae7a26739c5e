// Memory after start-up: which parts of a Scopeward process take resident memory (rough, for RESULTS.md).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const mb = (n: number) => Math.round(n / 1048576)
const show = (label: string) => {
  const m = process.memoryUsage()
  console.log(label.padEnd(28), 'rss', mb(m.rss), 'heapUsed', mb(m.heapUsed), 'external', mb(m.external))
}
show('node + tsx')
await import('@apollo/server')
show('+ @apollo/server')
await import('graphql')
await import('@graphql-tools/schema')
show('+ graphql, graphql-tools')
await import('drizzle-orm')
await import('better-sqlite3')
show('+ drizzle, better-sqlite3')
await import('jose')
await import('pino')
await import('prom-client')
await import('@escape.tech/graphql-armor')
show('+ jose, pino, prom, armor')
const { createScopeward } = await import('../src/scopeward.js')
const { loadConfig } = await import('../src/config.js')
const { createLogger } = await import('../src/logger.js')
show('+ scopeward modules')
const app = await createScopeward(loadConfig({ db: join(mkdtempSync(join(tmpdir(), 'sw-mem-')), 'db.sqlite'), port: '0' }), { logger: createLogger('silent') })
show('after createScopeward')
globalThis.gc?.()
show('after gc')
await app.close()
