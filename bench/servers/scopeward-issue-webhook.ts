import { startScopewardVariant } from '../lib/scopeward-server.js'

await startScopewardVariant('issue-webhook')
