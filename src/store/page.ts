import type { Page } from '../domain/model.js'

/** A page from `limit + 1` rows: the extra row only says that another page follows. */
export function page<T>(rows: T[], limit: number): Page<T> {
  return { rows: rows.slice(0, limit), hasNextPage: rows.length > limit }
}
