import { NEVER_EXPIRES, NEVER_USED, type TokenFilter, type TokenOrder, type TokenSort } from '../domain/model.js'

/** The SQL of a sort key: the column, with null mapped as tokenSortKey (domain/model.ts) maps it. */
const SORT_KEY_SQL: Record<TokenSort, string> = {
  CREATED: 'created_at',
  LAST_USED: `coalesce(last_used_at, ${NEVER_USED})`,
  EXPIRES: `coalesce(expires_at, ${NEVER_EXPIRES})`,
}

/** How a dialect writes a bound parameter and the "token was granted this scope" test. */
export interface Dialect {
  /** Binds a value and returns its placeholder (`?` or `$n`). */
  bind(value: string | number): string
  /** SQL testing that the `scopes` column holds the scope behind `placeholder`. */
  hasScope(placeholder: string): string
  /** SQL testing that text `column` contains the text behind `placeholder`, ignoring ASCII case. */
  contains(column: string, placeholder: string): string
  /** SQL of the successor a rotated token names in its constraints (`constraints.successor`), for the row `table`; null: none. */
  successorOf(table: string): string
  /** SQL true when the row `table` names a successor: as `successorOf(table) IS NOT NULL`, as cheap as the dialect can test it. */
  namesSuccessor(table: string): string
}

/**
 * The WHERE clauses of a token filter, in a fixed order so that equal filter shapes give equal SQL
 * text (one prepared statement each). Shared by both stores: only `dialect` differs.
 */
export function tokenConditions(f: TokenFilter, dialect: Dialect): string[] {
  const where: string[] = []
  if (f.appId !== undefined) where.push(`app_id = ${dialect.bind(f.appId)}`)
  if (f.subject !== undefined) where.push(`subject = ${dialect.bind(f.subject)}`)
  if (f.kind !== undefined) where.push(`kind = ${dialect.bind(f.kind)}`)
  // As currentStatus (domain/token-status.ts) reads a token: its own status under policy, then a rotated-out
  // secret in its grace is REVOKED once a token down its successor chain is (authenticate.ts refuses it).
  // The chain is walked only for rows that name a successor: every other row pays a null test.
  const rotated = dialect.namesSuccessor('tokens')
  if (f.status === 'REVOKED') where.push(`(revoked_at IS NOT NULL OR (${rotated} AND ${ownActive(f, dialect)} AND ${successorRevoked(dialect)}))`)
  // A token dead under a lifetime policy (the instance's, or its app's, counted from creation) is EXPIRED, not ACTIVE.
  if (f.status === 'EXPIRED') where.push(`revoked_at IS NULL AND (expires_at <= ${dialect.bind(f.now)} OR NOT ${livesUnderPolicy(f, dialect)})`)
  if (f.status === 'ACTIVE') where.push(`${ownActive(f, dialect)} AND (NOT ${rotated} OR NOT ${successorRevoked(dialect)})`)
  if (f.scope !== undefined) where.push(dialect.hasScope(dialect.bind(f.scope)))
  if (f.createdBefore !== undefined) where.push(`created_at < ${dialect.bind(f.createdBefore)}`)
  if (f.createdBy !== undefined) where.push(`created_by = ${dialect.bind(f.createdBy)}`)
  if (f.expiresBefore !== undefined) where.push(`expires_at <= ${dialect.bind(f.expiresBefore)}`)
  if (f.expiresAfter !== undefined) where.push(`expires_at > ${dialect.bind(f.expiresAfter)}`)
  if (f.neverExpires) where.push('expires_at IS NULL')
  if (f.search !== undefined) where.push(`(${dialect.contains('name', dialect.bind(f.search))} OR id = ${dialect.bind(f.search)})`)
  return where
}

/** SQL true when a token's own status (statusUnderPolicy, domain/token-status.ts) is ACTIVE: not revoked, not expired, alive under the lifetime policies. */
function ownActive(f: TokenFilter, dialect: Dialect): string {
  return `revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${dialect.bind(f.now)}) AND ${livesUnderPolicy(f, dialect)}`
}

/**
 * SQL true when a token down the row's successor chain (A rotated to B, B to C: B, C) is revoked, as
 * successorChain (domain/token-status.ts) walks it: link by link, stopping where a row is gone, each
 * id once (UNION), so a cycle ends. Every step is a lookup by primary key (scalar subqueries, never a
 * join the planner could turn into a scan), and the chain is as long as the rotations in one grace.
 */
function successorRevoked(dialect: Dialect): string {
  return `EXISTS (WITH RECURSIVE chain(id) AS (SELECT ${dialect.successorOf('tokens')} UNION SELECT (SELECT ${dialect.successorOf('link')} FROM tokens link WHERE link.id = chain.id) FROM chain WHERE chain.id IS NOT NULL) SELECT 1 FROM chain WHERE (SELECT successor_row.revoked_at FROM tokens successor_row WHERE successor_row.id = chain.id) IS NOT NULL)`
}

/** SQL true when a token still lives under the lifetime policies: created within the instance's and its app's maximum. */
function livesUnderPolicy(f: TokenFilter, dialect: Dialect): string {
  // Bound in the order they appear in the text: SQLite's `?` placeholders are positional.
  const instance = f.maxLifetimeMs !== undefined ? `tokens.created_at + ${dialect.bind(f.maxLifetimeMs)} > ${dialect.bind(f.now)} AND ` : ''
  return `(${instance}NOT EXISTS (SELECT 1 FROM apps WHERE apps.id = tokens.app_id AND apps.max_token_lifetime_ms IS NOT NULL AND tokens.created_at + apps.max_token_lifetime_ms <= ${dialect.bind(f.now)}))`
}

/**
 * The ORDER BY of a sorted token list and the keyset condition of its next page: (key, id) past the
 * last row's, in the order's direction, so a page is stable while rows are inserted.
 */
export function tokenOrderSql(order: TokenOrder, dialect: Pick<Dialect, 'bind'>): { after: string | null; orderBy: string } {
  const key = SORT_KEY_SQL[order.sort]
  const dir = order.descending ? 'DESC' : 'ASC'
  const after = order.after ? `(${key}, id) ${order.descending ? '<' : '>'} (${dialect.bind(order.after.key)}, ${dialect.bind(order.after.id)})` : null
  return { after, orderBy: `${key} ${dir}, id ${dir}` }
}
