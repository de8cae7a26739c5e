import { badInput } from '../errors.js'

/** The scope grammar (docs/design.md): lowercase segments separated by ':'. */
export const SCOPE_NAME_RE = /^[a-z][a-z0-9_-]*(:[a-z][a-z0-9_-]*)*$/
export const MAX_SCOPE_NAME_LENGTH = 100

export type ImpliesMap = Readonly<Record<string, readonly string[]>>

/** The built-in scopes created at `init`, with what each implies. The root token holds all of them. */
export const BUILT_IN_SCOPES: readonly { name: string; description: string; implies: readonly string[] }[] = [
  { name: 'apps:read', description: 'Read apps', implies: [] },
  { name: 'apps:write', description: 'Create, update and disable apps, and manage their client secrets', implies: ['apps:read'] },
  { name: 'tokens:read', description: 'Read token metadata', implies: [] },
  { name: 'tokens:write', description: 'Issue, rotate and revoke tokens', implies: ['tokens:read'] },
  { name: 'tokens:introspect', description: 'Introspect tokens (RFC 7662)', implies: [] },
  { name: 'tokens:report-leak', description: 'Report leaked tokens to POST /v1/leaks, which revokes them', implies: [] },
  { name: 'scopes:read', description: 'Read the scope catalogue', implies: [] },
  { name: 'scopes:write', description: 'Declare new scopes', implies: ['scopes:read'] },
  { name: 'keys:read', description: 'Read signing keys', implies: [] },
  { name: 'keys:write', description: 'Rotate signing keys', implies: ['keys:read'] },
  { name: 'audit:read', description: 'Read the audit log', implies: [] },
  { name: 'webhooks:read', description: "Read webhooks and their deliveries (of the token's app; root: all)", implies: [] },
  { name: 'webhooks:write', description: 'Create, update, delete webhooks, rotate their secrets and retry deliveries', implies: ['webhooks:read'] },
]

/** The scopes held by whoever holds `held`: `held` closed transitively under `implies`. */
export function closeUnderImplies(held: Iterable<string>, implies: ImpliesMap): Set<string> {
  const out = new Set<string>()
  const stack = [...held]
  while (stack.length > 0) {
    const scope = stack.pop() as string
    if (out.has(scope)) continue
    out.add(scope)
    for (const next of implies[scope] ?? []) stack.push(next)
  }
  return out
}

/** Refuses a scope name outside the grammar, naming the input field. */
export function assertScopeName(name: string, field: string): void {
  if (name.length > MAX_SCOPE_NAME_LENGTH || !SCOPE_NAME_RE.test(name)) {
    throw badInput(field, `${field}: ${JSON.stringify(name.slice(0, MAX_SCOPE_NAME_LENGTH))} is not a valid scope name (expected ${SCOPE_NAME_RE.source})`)
  }
}

/** Refuses a list naming a malformed scope (naming `field[i]`) or an undeclared one (naming them all). */
export function assertScopeList(scopes: readonly string[], declared: ImpliesMap, field: string): void {
  scopes.forEach((s, i) => assertScopeName(s, `${field}[${i}]`))
  assertDeclared(scopes, declared, field)
}

/** Refuses any name in `scopes` that is not declared, naming every unknown one at once. */
export function assertDeclared(scopes: readonly string[], declared: ImpliesMap, field: string): void {
  const unknown = [...new Set(scopes.filter((s) => !Object.hasOwn(declared, s)))]
  if (unknown.length > 0) {
    throw badInput(field, `${field}: unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => JSON.stringify(s)).join(', ')}`, { unknownScopes: unknown })
  }
}

/** True when adding `name → implies` to the graph would close a cycle (implies must stay a DAG). */
export function wouldCycle(name: string, implies: readonly string[], graph: ImpliesMap): boolean {
  return closeUnderImplies(implies, graph).has(name)
}

/** Sorted, de-duplicated copy: scopes are a set, shown in a stable order. */
export function normalizeScopes(scopes: Iterable<string>): string[] {
  return [...new Set(scopes)].sort()
}
