import type { CloseScopes } from '../domain/model.js'
import { EmptiedTokensError } from '../errors.js'

export type { CloseScopes }

/** A token of a family being narrowed, parents before children (ordered by depth from the narrowed token). */
export interface FamilyMember {
  id: string
  parentId: string | null
  scopes: string[]
}

const noImplies: CloseScopes = (scopes) => new Set(scopes)

/**
 * The new scopes of a token narrowed to `scopes` (sorted; within what it held, closed under implies)
 * and of every token derived from it: each child keeps what it held that its parent still implies
 * (a tokens:write child of a parent narrowed to tokens:read keeps tokens:read), so no child
 * out-scopes its parent and none loses more than it must. Throws EmptiedTokensError when a child
 * would end with no scope. Returns only the tokens that change.
 * Shared by the stores so that only their SQL differs.
 */
export function narrowFamily(family: readonly FamilyMember[], id: string, scopes: string[], close: CloseScopes = noImplies): { id: string; scopes: string[] }[] {
  const next = new Map<string, string[]>([[id, scopes]])
  const changed: { id: string; scopes: string[] }[] = []
  const emptied: string[] = []
  for (const member of family) {
    const own = member.scopes
    const parentScopes = member.id === id ? undefined : next.get(member.parentId as string)
    const narrowed = member.id === id ? scopes : parentScopes === undefined ? own : within(own, close(parentScopes), close)
    next.set(member.id, narrowed)
    if (narrowed.length === 0) emptied.push(member.id)
    // Compared by content: a narrowing may replace a scope (tokens:write → tokens:read) as well as drop one.
    if (narrowed.length !== own.length || narrowed.some((s, i) => s !== own[i])) changed.push({ id: member.id, scopes: narrowed })
  }
  if (emptied.length > 0) throw new EmptiedTokensError(emptied)
  return changed
}

/** The least list (sorted) holding exactly what `own` implies that `allowed` (closed) still contains. */
function within(own: readonly string[], allowed: ReadonlySet<string>, close: CloseScopes): string[] {
  if (own.every((s) => allowed.has(s))) return [...own]
  const kept = [...close(own)].filter((s) => allowed.has(s))
  // Drop what another kept scope implies: tokens:write and tokens:read → tokens:write.
  return kept.filter((s) => !kept.some((other) => other !== s && close([other]).has(s))).sort()
}
