import { sql, type SQL } from 'drizzle-orm'

// The retention deletes (docs/webhooks.md "Retention"), the same SQL on SQLite and PostgreSQL. Each
// deletes one bounded batch, so a large backlog is removed by many short statements, never one long
// one holding the write lock. On PostgreSQL the batch is locked FOR UPDATE SKIP LOCKED: instances
// running it at once take different rows, and a row being changed meanwhile (a delivery retried)
// is left for a later run, its new version checked again when locked.

/**
 * At most `limit` DELIVERED deliveries delivered before `before`, and FAILED ones last attempted
 * before it; never a PENDING one. `next_attempt_at` is the index's range (webhook_deliveries_due_idx:
 * status, next_attempt_at): an outcome that ends a delivery sets it to the attempt's time, which is
 * also `delivered_at` (DELIVERED) or `last_attempt_at` (FAILED), so the batch is read from the index
 * and no other index has to be kept up at every delivery. The column of the rule is checked too.
 */
export function deleteOldDeliveriesSql(before: number, limit: number, skipLocked: boolean): SQL {
  return sql`
    DELETE FROM webhook_deliveries WHERE seq IN (
      SELECT seq FROM webhook_deliveries
      WHERE status IN ('DELIVERED', 'FAILED') AND next_attempt_at < ${before}
        AND (CASE status WHEN 'DELIVERED' THEN delivered_at ELSE last_attempt_at END) < ${before}
      LIMIT ${limit}${skipLocked ? sql` FOR UPDATE SKIP LOCKED` : sql``})`
}

/**
 * The token an announcement key is about: `expired:<token>`, or `expiring:<token>:<threshold ms>`
 * with its trailing `:<digits>` cut off (rtrim of the digits, then of the one colon).
 */
const KEY_TOKEN = sql.raw(`CASE WHEN substr(a.key, 1, 8) = 'expired:' THEN substr(a.key, 9) ELSE rtrim(rtrim(substr(a.key, 10), '0123456789'), ':') END`)

/**
 * At most `limit` announcement keys recorded before `recordedBefore` whose token no longer exists
 * or expired before `expiredBefore` (a token without an expiry keeps its keys). Only the two forms
 * the sweeper writes are touched. The scan is the range of webhook_announcements_at_idx.
 */
export function deleteSpentAnnouncementsSql(options: { recordedBefore: number; expiredBefore: number; limit: number }, skipLocked: boolean): SQL {
  return sql`
    DELETE FROM webhook_announcements WHERE key IN (
      SELECT a.key FROM webhook_announcements a LEFT JOIN tokens t ON t.id = ${KEY_TOKEN}
      WHERE a.at < ${options.recordedBefore}
        AND (substr(a.key, 1, 8) = 'expired:' OR substr(a.key, 1, 9) = 'expiring:')
        AND (t.id IS NULL OR t.expires_at < ${options.expiredBefore})
      LIMIT ${options.limit}${skipLocked ? sql` FOR UPDATE OF a SKIP LOCKED` : sql``})`
}
