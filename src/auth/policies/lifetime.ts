import type { AppPolicy } from '../policy.js'

/**
 * Policy 6, the app's lifetime policy: counted from the token's creation and applied at use, so
 * lowering an app's maximum reaches tokens already issued (`expired`).
 */
export const checkAppLifetime: AppPolicy = (token, app, now) => (app?.maxTokenLifetimeMs != null && now - token.createdAt > app.maxTokenLifetimeMs ? 'expired' : null)
