import { sql, type SQL } from 'drizzle-orm'

/**
 * Revokes a token and every token derived from it or bound to it (issued by a derived, exchanged or
 * bound token), transitively, returning the ids revoked now
 * (already revoked ones are left as they were). The same SQL runs on SQLite and PostgreSQL.
 */
export function revokeFamilySql(id: string, at: number, reason: string | null): SQL {
  return sql`
    WITH RECURSIVE family(id) AS (
      SELECT id FROM tokens WHERE id = ${id}
      UNION SELECT tokens.id FROM tokens JOIN family ON tokens.parent_id = family.id OR tokens.bound_to = family.id
    )
    UPDATE tokens SET revoked_at = ${at}, revoke_reason = ${reason}
    WHERE id IN (SELECT id FROM family) AND revoked_at IS NULL
    RETURNING id`
}

/** A token and every token derived from it as (id, parent_id, scopes), parents before children. */
export function selectFamilySql(id: string): SQL {
  return sql`
    WITH RECURSIVE family(id, depth) AS (
      SELECT id, 0 FROM tokens WHERE id = ${id}
      UNION SELECT tokens.id, family.depth + 1 FROM tokens JOIN family ON tokens.parent_id = family.id
    )
    SELECT tokens.id, tokens.parent_id, tokens.scopes FROM family JOIN tokens ON tokens.id = family.id ORDER BY family.depth`
}

/** The ids of a token and of each token it is derived from, transitively, that spend credits, root first. */
export function selectCreditChainSql(id: string): SQL {
  return sql`
    WITH RECURSIVE chain(id, parent_id, depth) AS (
      SELECT id, parent_id, 0 FROM tokens WHERE id = ${id}
      UNION SELECT tokens.id, tokens.parent_id, chain.depth + 1 FROM tokens JOIN chain ON tokens.id = chain.parent_id
    )
    SELECT chain.id FROM chain JOIN tokens ON tokens.id = chain.id WHERE tokens.credits_remaining IS NOT NULL ORDER BY chain.depth DESC`
}

/** Thrown inside a chain spend when one token of the chain has no credit left: rolls the others back. */
export class CreditRefused extends Error {}
