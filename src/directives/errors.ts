import { GraphQLError } from 'graphql'
import { describeRequirement, type Requirement } from './requirement.js'

/** One field the caller may not reach, as found before execution. */
export interface DeniedField {
  /** Response keys (aliases) from the root, without list indices. */
  readonly path: readonly string[]
  /** Schema coordinate of the field as selected, e.g. `Query.tokens` or `Node.secret`. */
  readonly coordinate: string
  readonly requiredScopes: Requirement
  readonly missingScopes: readonly string[]
  readonly reason: 'UNAUTHENTICATED' | 'FORBIDDEN'
}

/** One schema build problem, located by its schema coordinate (`Type`, `Type.field`). */
export interface BuildProblem {
  readonly coordinate: string
  readonly message: string
}

/** Thrown by `applyScopeDirectives` with every problem of the schema at once, never just the first. */
export class ScopeDirectiveBuildError extends Error {
  readonly problems: readonly BuildProblem[]

  constructor(problems: readonly BuildProblem[]) {
    super(`Invalid scope directives (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` + problems.map((p) => `  ${p.coordinate}: ${p.message}`).join('\n'))
    this.name = 'ScopeDirectiveBuildError'
    this.problems = problems
  }
}

/** The message of a denial; it names the field and what it needs, never what the caller holds. */
export function deniedMessage(d: DeniedField): string {
  return d.reason === 'UNAUTHENTICATED'
    ? `Not authenticated: ${d.coordinate} requires ${describeRequirement(d.requiredScopes)}`
    : `Not authorized to access ${d.coordinate}: requires ${describeRequirement(d.requiredScopes)}`
}

/**
 * The error for one denied field: code FORBIDDEN (or UNAUTHENTICATED when there is no caller),
 * with the requirement and the smallest missing set so a client can act without parsing prose.
 * The caller's held scopes are deliberately left out: the client knows them, logs and proxies
 * need not (GitHub echoes them; we do not).
 */
export function forbiddenError(d: DeniedField): GraphQLError {
  return new GraphQLError(deniedMessage(d), { path: d.path, extensions: deniedExtensions(d) })
}

/** As `forbiddenError`, without a path: graphql-js then fills in the runtime path (list indices included). */
export function fieldDeniedError(d: DeniedField): GraphQLError {
  return new GraphQLError(deniedMessage(d), { extensions: deniedExtensions(d) })
}

function deniedExtensions(d: DeniedField): Record<string, unknown> {
  return {
    code: d.reason,
    coordinate: d.coordinate,
    requiredScopes: d.requiredScopes,
    missingScopes: d.missingScopes,
  }
}
