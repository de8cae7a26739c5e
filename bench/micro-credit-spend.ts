// What a credit costs in time (README "Token constraints"): ms per durable spend on SQLite
// (WAL, synchronous=FULL), one at a time and 50 at once (sharing the group commit of
// src/store/sqlite/write-dialect.ts). Usage: node --import tsx bench/micro-credit-spend.ts
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/logger.js'
import { createScopeward } from '../src/scopeward.js'
import { issueToken } from '../src/domain/issue-token.js'
import { operatorCall } from '../src/domain/actor.js'

const file = join(mkdtempSync(join(tmpdir(), 'sw-spend-')), 'db.sqlite')
const app = await createScopeward(loadConfig({ db: file, port: '0' }, {}), { logger: createLogger('silent') })
const { token } = await issueToken(app.domain, operatorCall(), { appId: 'root', name: 'metered', scopes: ['tokens:read'], constraints: { credits: { remaining: 1_000_000 } } })
const n = 200
const perSpend = async (batch: number): Promise<string> => {
  const start = process.hrtime.bigint()
  for (let i = 0; i < n / batch; i++) await Promise.all(Array.from({ length: batch }, () => app.domain.store.spendCredit(token.id, Date.now())))
  return (Number(process.hrtime.bigint() - start) / 1e6 / n).toFixed(2)
}
console.log('one at a time  ms per spend', await perSpend(1))
console.log('50 at once     ms per spend', await perSpend(50))
await app.close()
