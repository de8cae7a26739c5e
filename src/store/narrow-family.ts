/** A token of a family being narrowed, parents before children (ordered by depth from the narrowed token). */
export interface FamilyMember {
  id: string
  parentId: string | null
  scopes: string[]
}

/**
 * The new scopes of a token narrowed to `scopes` (sorted; within what it held, closed under implies)
 * and of every token derived from it: each child keeps what its parent still lists, so no child
 * out-scopes its parent. Returns only the tokens that change.
 * Shared by the stores so that only their SQL differs.
 */
export function narrowFamily(family: readonly FamilyMember[], id: string, scopes: string[]): { id: string; scopes: string[] }[] {
  const next = new Map<string, string[]>([[id, scopes]])
  const changed: { id: string; scopes: string[] }[] = []
  for (const member of family) {
    const own = member.scopes
    const narrowed = member.id === id ? scopes : own.filter((s) => (next.get(member.parentId as string) ?? own).includes(s))
    next.set(member.id, narrowed)
    // Compared by content: a narrowing may replace a scope (tokens:write → tokens:read) as well as drop one.
    if (narrowed.length !== own.length || narrowed.some((s, i) => s !== own[i])) changed.push({ id: member.id, scopes: narrowed })
  }
  return changed
}
