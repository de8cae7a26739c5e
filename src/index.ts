// Scopeward as a library: start a server from code (tests, embedding). The command line is src/cli/main.ts.
export { createScopeward, type Scopeward } from './scopeward.js'
export { loadConfig, type Config } from './config.js'
export { createLogger, type Logger } from './logger.js'
export type { StoreChange, TokenRecord, AppRecord, ScopeRecord } from './domain/model.js'
export type { Store } from './domain/ports.js'
