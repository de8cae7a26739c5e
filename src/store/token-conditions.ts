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
  if (f.status === 'REVOKED') where.push('revoked_at IS NOT NULL')
  // A token dead under a lifetime policy (the instance's, or its app's, counted from creation) is EXPIRED, not ACTIVE.
  if (f.status === 'EXPIRED') where.push(`revoked_at IS NULL AND (expires_at <= ${dialect.bind(f.now)} OR NOT ${livesUnderPolicy(f, dialect)})`)
  if (f.status === 'ACTIVE') where.push(`revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${dialect.bind(f.now)}) AND ${livesUnderPolicy(f, dialect)}`)
  if (f.scope !== undefined) where.push(dialect.hasScope(dialect.bind(f.scope)))
  if (f.createdBefore !== undefined) where.push(`created_at < ${dialect.bind(f.createdBefore)}`)
  if (f.createdBy !== undefined) where.push(`created_by = ${dialect.bind(f.createdBy)}`)
  if (f.expiresBefore !== undefined) where.push(`expires_at <= ${dialect.bind(f.expiresBefore)}`)
  if (f.expiresAfter !== undefined) where.push(`expires_at > ${dialect.bind(f.expiresAfter)}`)
  if (f.neverExpires) where.push('expires_at IS NULL')
  if (f.search !== undefined) where.push(`(${dialect.contains('name', dialect.bind(f.search))} OR id = ${dialect.bind(f.search)})`)
  return where
}

/** SQL true when a token still lives under the lifetime policies: created within the instance's and its app's maximum. */
function livesUnderPolicy(f: TokenFilter, dialect: Dialect): string {
  const app = `NOT EXISTS (SELECT 1 FROM apps WHERE apps.id = tokens.app_id AND apps.max_token_lifetime_ms IS NOT NULL AND tokens.created_at + apps.max_token_lifetime_ms <= ${dialect.bind(f.now)})`
  return f.maxLifetimeMs !== undefined ? `(tokens.created_at + ${dialect.bind(f.maxLifetimeMs)} > ${dialect.bind(f.now)} AND ${app})` : `(${app})`
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
