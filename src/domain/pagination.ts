import { badInput } from '../errors.js'
import type { Position } from './model.js'

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
