// Webhook settings: defaults as the README states them (retention P30D), bad values refused naming the setting, and
// the retry delay (schedule plus at most 10% jitter, none after the last attempt).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { nextDelay } from '../../src/webhooks/dispatcher.js'
import { webhookConfig } from '../../src/webhooks/settings.js'

const H = 3_600_000

describe('webhook settings', () => {
  test('defaults: delivering, https only, private addresses refused, 5 s timeout, the documented schedule, 5 days to disable, warnings 7d and 1d', () => {
    const c = loadConfig({}, {}).webhooks
    assert.equal(c.deliver, true)
    assert.equal(c.allowHttp, false)
    assert.equal(c.allowPrivate, false)
    assert.equal(c.timeoutMs, 5000)
    assert.deepEqual(c.retrySchedule, [0, 5000, 300_000, 1_800_000, 2 * H, 5 * H, 10 * H, 10 * H])
    assert.equal(c.disableAfterMs, 5 * 24 * H)
    assert.deepEqual(c.expiryWarnings, [7 * 24 * H, 24 * H])
    assert.equal(c.retentionMs, 30 * 24 * H, 'retention P30D')
  })

  test('values in ms or as durations; warnings sorted farthest first', () => {
    const c = webhookConfig({ SCOPEWARD_WEBHOOK_RETRY_SCHEDULE: 'PT0S,10,2s', SCOPEWARD_EXPIRY_WARNINGS: 'P1D,P7D,PT1H', SCOPEWARD_WEBHOOK_TIMEOUT: '2s' })
    assert.deepEqual(c.retrySchedule, [0, 10, 2000])
    assert.deepEqual(c.expiryWarnings, [7 * 24 * H, 24 * H, H])
    assert.equal(c.timeoutMs, 2000)
    assert.equal(webhookConfig({ SCOPEWARD_WEBHOOK_DELIVER: 'false' }).deliver, false)
    assert.equal(webhookConfig({ SCOPEWARD_WEBHOOK_DELIVER: 'true' }).deliver, true)
    assert.equal(webhookConfig({ SCOPEWARD_WEBHOOK_RETENTION: 'P7D' }).retentionMs, 7 * 24 * H)
    assert.equal(webhookConfig({ SCOPEWARD_WEBHOOK_RETENTION: '12h' }).retentionMs, 12 * H)
    assert.equal(webhookConfig({ SCOPEWARD_WEBHOOK_RETENTION: String(H) }).retentionMs, H, 'an hour, the least')
  })

  test('a bad value is refused naming the setting', () => {
    for (const [env, name] of [
      [{ SCOPEWARD_WEBHOOK_ALLOW_PRIVATE: 'yes' }, 'SCOPEWARD_WEBHOOK_ALLOW_PRIVATE'],
      [{ SCOPEWARD_WEBHOOK_DELIVER: 'off' }, 'SCOPEWARD_WEBHOOK_DELIVER'],
      [{ SCOPEWARD_WEBHOOK_RETRY_SCHEDULE: '0,,5s' }, 'SCOPEWARD_WEBHOOK_RETRY_SCHEDULE'],
      [{ SCOPEWARD_WEBHOOK_RETRY_SCHEDULE: 'soon' }, 'SCOPEWARD_WEBHOOK_RETRY_SCHEDULE'],
      [{ SCOPEWARD_EXPIRY_WARNINGS: '0' }, 'SCOPEWARD_EXPIRY_WARNINGS'],
      [{ SCOPEWARD_WEBHOOK_TIMEOUT: '10' }, 'SCOPEWARD_WEBHOOK_TIMEOUT'],
      [{ SCOPEWARD_WEBHOOK_TIMEOUT: '10000', SCOPEWARD_WEBHOOK_LEASE: '5000' }, 'SCOPEWARD_WEBHOOK_LEASE'],
      [{ SCOPEWARD_WEBHOOK_RETENTION: 'a month' }, 'SCOPEWARD_WEBHOOK_RETENTION'],
      [{ SCOPEWARD_WEBHOOK_RETENTION: '-P1D' }, 'SCOPEWARD_WEBHOOK_RETENTION'],
      [{ SCOPEWARD_WEBHOOK_RETENTION: '0' }, 'SCOPEWARD_WEBHOOK_RETENTION'],
      [{ SCOPEWARD_WEBHOOK_RETENTION: 'PT59M' }, 'SCOPEWARD_WEBHOOK_RETENTION'],
      [{ SCOPEWARD_WEBHOOK_RETENTION: 'P3651D' }, 'SCOPEWARD_WEBHOOK_RETENTION'],
    ] as const) {
      assert.throws(
        () => loadConfig({}, env),
        (error: Error & { field?: string }) => error.message.includes(`invalid setting ${name}`) && error.field === name,
        JSON.stringify(env),
      )
    }
  })

  test('the delay before the next attempt: the schedule plus at most 10% jitter; none after the last', () => {
    const schedule = [0, 5000, 300_000]
    assert.equal(
      nextDelay(schedule, 0, () => 0.99),
      0,
    )
    assert.equal(
      nextDelay(schedule, 1, () => 0),
      5000,
    )
    assert.equal(
      nextDelay(schedule, 1, () => 0.999),
      5500,
    )
    assert.equal(
      nextDelay(schedule, 2, () => 0.5),
      315_000,
    )
    assert.equal(nextDelay(schedule, 3), null)
  })
})
