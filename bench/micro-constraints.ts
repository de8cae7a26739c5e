// Micro-benchmark of token constraints in-process (no HTTP): µs per authenticate() of an
// unconstrained token with no request policies (the cost before issue 15) and with the three
// constraint policies (what a token without constraints pays now), interleaved in rounds so the
// machine's drift hits both alike; and of a token with a rate limit and credits (what it pays).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/logger.js'
import { createScopeward } from '../src/scopeward.js'
import { authenticate } from '../src/domain/authenticate.js'
import { issueToken } from '../src/domain/issue-token.js'
import { operatorCall } from '../src/domain/actor.js'
import { localRequest } from '../src/auth/request.js'
import type { Domain } from '../src/domain/context.js'

const file = join(mkdtempSync(join(tmpdir(), 'sw-micro-')), 'db.sqlite')
const app = await createScopeward(loadConfig({ db: file, port: '0' }, {}), { logger: createLogger('silent') })
const domain = app.domain
const bare: Domain = Object.freeze({ ...domain, requestPolicies: [] })
const plain = await issueToken(domain, operatorCall(), { appId: 'root', name: 'plain', scopes: ['tokens:read'] })
const limited = await issueToken(domain, operatorCall(), {
  appId: 'root',
  name: 'limited',
  scopes: ['tokens:read'],
  constraints: { rateLimit: { limit: 1_000_000_000, window: '1h' }, credits: { remaining: 1_000_000_000 }, allowedCidrs: ['127.0.0.0/8'] },
})
const request = { ...localRequest('/graphql'), ip: '127.0.0.1' }
const n = 20_000
const time = async (d: Domain, secret: string): Promise<number> => {
  const t = process.hrtime.bigint()
  for (let i = 0; i < n; i++) if (!(await authenticate(d, secret, request)).ok) throw new Error('refused')
  return Number(process.hrtime.bigint() - t) / 1000 / n
}
await time(bare, plain.secret)
await time(domain, plain.secret)
const rounds: { before: number; now: number }[] = []
for (let r = 0; r < 5; r++) rounds.push({ before: await time(bare, plain.secret), now: await time(domain, plain.secret) })
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
console.log('unconstrained, no policies   µs/auth (median of 5)', median(rounds.map((r) => r.before)).toFixed(2))
console.log('unconstrained, 3 policies    µs/auth (median of 5)', median(rounds.map((r) => r.now)).toFixed(2))
console.log('ratio per round', rounds.map((r) => (r.now / r.before).toFixed(3)).join(' '))
console.log('allowlist+rate limit+credits µs/auth', (await time(domain, limited.secret)).toFixed(2))
await app.close()
