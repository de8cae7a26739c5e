import { sql, type SQL } from 'drizzle-orm'

/**
 * Revokes every unrevoked, unexpired JWT signed by one of `kids` (or with no recorded kid: issued
 * before kids were recorded, by any key) and, transitively, every token derived from them. The
 * same SQL runs on SQLite and PostgreSQL; returns the ids revoked now.
 */
export function revokeJwtsOfKeysSql(kids: readonly string[], at: number, reason: string): SQL {
  const named =
    kids.length > 0
      ? sql`kid IN (${sql.join(
          kids.map((k) => sql`${k}`),
          sql`, `,
        )}) OR `
      : sql``
  return sql`
    WITH RECURSIVE family(id) AS (
      SELECT id FROM tokens WHERE kind = 'JWT' AND revoked_at IS NULL AND expires_at > ${at} AND (${named}kid IS NULL)
      UNION SELECT tokens.id FROM tokens JOIN family ON tokens.parent_id = family.id
    )
    UPDATE tokens SET revoked_at = ${at}, revoke_reason = ${reason}
    WHERE id IN (SELECT id FROM family) AND revoked_at IS NULL
    RETURNING id`
}

/** Per kid, the latest instant an unrevoked JWT stays usable: min(expiry, creation + cap); see Store.jwtExpiriesByKid. */
export function jwtExpiriesByKidSql(now: number, maxLifetimeMs: number): SQL {
  const usableUntil = sql`CASE WHEN expires_at < created_at + CAST(${maxLifetimeMs} AS BIGINT) THEN expires_at ELSE created_at + CAST(${maxLifetimeMs} AS BIGINT) END`
  return sql`
    SELECT kid, max(${usableUntil}) AS until FROM tokens
    WHERE kind = 'JWT' AND revoked_at IS NULL AND expires_at > ${now} AND created_at + CAST(${maxLifetimeMs} AS BIGINT) > ${now}
    GROUP BY kid`
}

/** The rows of jwtExpiriesByKidSql as a map (PostgreSQL returns bigints as strings). */
export function expiriesByKid(rows: readonly { kid: string | null; until: number | string | null }[]): Map<string | null, number> {
  return new Map(rows.filter((r) => r.until !== null).map((r) => [r.kid, Number(r.until)]))
}
