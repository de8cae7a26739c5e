import type { AppPolicy } from '../policy.js'

/** Policy 5, app disabled: a token of a disabled (or vanished) app is refused (`app_disabled`), at once. */
export const checkAppEnabled: AppPolicy = (_token, app) => (!app || app.disabledAt !== null ? 'app_disabled' : null)
