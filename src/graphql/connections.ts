import type { Page } from '../domain/model.js'

/** What a list resolver hands to its connection type: a page, a cursor per row, and a lazy count. */
export interface ConnectionParent<T> extends Page<T> {
  cursorOf: (row: T) => string
  /** Counted only when `totalCount` is selected: a count is a scan the list itself does not need. */
  totalCount: () => Promise<number>
}
