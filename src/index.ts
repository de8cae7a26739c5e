// Scopeward as a library: start a server from code (tests, embedding). The command line is src/cli/main.ts.
export { createScopeward, type Scopeward } from './scopeward.js'
export { loadConfig, type Config } from './config.js'
export { createLogger, type Logger } from './logger.js'
export type { Store, StoreChange, TokenRecord, AppRecord, ScopeRecord } from './store/store.js'
