import { badInput } from '../errors.js'
import type { Position, SortPosition, TokenSort } from './model.js'

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100

/** `first` within 1..100 (default 20); anything else is BAD_USER_INPUT naming `first`. */
export function pageSize(first: number | null | undefined): number {
  if (first == null) return DEFAULT_PAGE_SIZE
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw badInput('first', `first: must be an integer from 1 to ${MAX_PAGE_SIZE}`)
  return first
}

/** An opaque cursor for a keyset position: base64url, so clients treat it as a token, not data. */
export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.createdAt}:${position.id}`).toString('base64url')
}

export function decodeCursor(cursor: string | null | undefined): Position | undefined {
  if (cursor == null) return undefined
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) throw badInput('after', 'after: not a cursor returned by this API')
  return { createdAt: Number(match[1]), id: match[2] as string }
}

export function encodeSeqCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`).toString('base64url')
}

export function decodeSeqCursor(cursor: string | null | undefined): number | undefined {
  if (cursor == null) return undefined
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) throw badInput('after', 'after: not a cursor returned by this API')
  return Number(match[1])
}

/** The cursor of a token list under another order than the default: it names the order, so it only continues that one. */
export function encodeSortCursor(sort: TokenSort, descending: boolean, position: SortPosition): string {
  return Buffer.from(`o:${sort}:${descending ? 'd' : 'a'}:${position.key}:${position.id}`).toString('base64url')
}

export function decodeSortCursor(cursor: string | null | undefined, sort: TokenSort, descending: boolean): SortPosition | undefined {
  if (cursor == null) return undefined
  const match = /^o:(CREATED|LAST_USED|EXPIRES):([ad]):(-?\d{1,16}):([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) throw badInput('after', 'after: not a cursor returned by this API')
  if (match[1] !== sort || (match[2] === 'd') !== descending) throw badInput('after', 'after: the cursor belongs to a list in another order; keep sort and descending as they were')
  return { key: Number(match[3]), id: match[4] as string }
}
