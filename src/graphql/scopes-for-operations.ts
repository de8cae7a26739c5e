import { Kind, OperationTypeNode, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql'
import { requiredScopesForOperations, type Requirement } from '../directives/index.js'
import { badInput } from '../errors.js'
import type { Principal } from '../domain/context.js'
import { grantableScopes } from '../domain/grant.js'
import { parseClientDocument } from './client-documents.js'
import type { GraphQLContext } from './context.js'

/**
 * Mutation arguments whose scopes the caller must hold for the mutation to succeed (the resolver
 * refuses an escalation), beyond the field's own rule: `issueToken(input: {scopes: [...]})` needs
 * `tokens:write` *and* the scopes it grants.
 */
const SCOPE_ARGUMENTS: Readonly<Record<string, readonly string[]>> = {
  issueToken: ['input', 'scopes'],
  deriveToken: ['input', 'scopes'],
  createApp: ['input', 'allowedScopes'],
  updateApp: ['input', 'allowedScopes'],
  createScope: ['input', 'implies'],
  createClientSecret: ['scopes'],
}

/**
 * Mutations that need scopes the document cannot name: they depend on rows (rotateToken needs
 * every scope of the token it rotates). A token for them would be a guess, so they are refused
 * with the reason, and the caller lists the scopes itself.
 */
const DATA_DEPENDENT: Readonly<Record<string, string>> = {
  rotateToken: 'rotateToken needs every scope of the token it rotates, which the document does not name',
}

/**
 * The scopes to grant for `issueToken`: the given list, or, from `forOperations`, the least
 * alternative (by what it implies) that runs every operation of every document, including the
 * scopes their mutation arguments grant, and that the caller could grant.
 */
export function scopesForOperations(
  ctx: GraphQLContext,
  principal: Principal,
  input: { scopes?: readonly string[] | null; forOperations?: readonly string[] | null },
): readonly string[] {
  if (input.forOperations == null) return input.scopes ?? []
  if (input.scopes != null) throw badInput('forOperations', 'forOperations: give either scopes or forOperations, not both')
  if (input.forOperations.length === 0) throw badInput('forOperations', 'forOperations: at least one document is required')
  const operations: { document: DocumentNode; operationName?: string }[] = []
  const also: Requirement[] = []
  for (const [i, source] of input.forOperations.entries()) {
    const field = `forOperations[${i}]`
    const document = parseClientDocument(ctx.schema, source, field)
    // Every operation of the document must run (validation made names unique, or the operation alone).
    for (const d of document.definitions) {
      if (d.kind !== Kind.OPERATION_DEFINITION) continue
      operations.push(d.name ? { document, operationName: d.name.value } : { document })
      if (d.operation === OperationTypeNode.MUTATION) {
        const granted = argumentScopes(document, d.selectionSet, field)
        if (granted.length > 0) also.push([granted])
      }
    }
  }
  let needed: Requirement
  try {
    needed = requiredScopesForOperations(ctx.schema, operations, also)
  } catch (error) {
    throw badInput('forOperations', `forOperations: ${(error as Error).message}`)
  }
  if (needed.length === 0) throw badInput('forOperations', 'forOperations: these operations need no token at all')
  const grantable = grantableScopes(ctx.domain, { kind: 'token', principal })
  const fit = needed.find((alt) => alt.every((s) => grantable.has(s)))
  if (!fit) throw badInput('forOperations', `forOperations: needs one of ${needed.map((a) => `[${a.join(', ')}]`).join(' or ')}, none of which the calling token can grant`)
  if (fit.length === 0) {
    throw badInput('forOperations', 'forOperations: these operations need a valid token but no particular scope, and a token holds at least one scope: give scopes instead')
  }
  return [...fit]
}

/** The scopes named by the scope-granting arguments of a mutation's root fields (through fragments too). */
function argumentScopes(document: DocumentNode, selectionSet: SelectionSetNode, field: string): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d)
  const out = new Set<string>()
  const seen = new Set<string>()
  const walk = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) collect(selection, out, field)
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet)
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value)
        const fragment = fragments.get(selection.name.value)
        if (fragment) walk(fragment.selectionSet)
      }
    }
  }
  walk(selectionSet)
  return [...out].sort()
}

function collect(node: FieldNode, out: Set<string>, field: string): void {
  const name = node.name.value
  const unknowable = DATA_DEPENDENT[name]
  if (unknowable !== undefined) throw badInput(field, `${field}: ${unknowable}: give scopes instead of forOperations`)
  const path = SCOPE_ARGUMENTS[name]
  if (path === undefined) return
  const value = argumentPath(node, path)
  if (value?.kind === Kind.VARIABLE) {
    throw badInput(field, `${field}: the ${path.join('.')} of ${name} come from variable $${value.name.value}; write them in the document, so the scopes it needs are known`)
  }
  const nested = name === 'issueToken' ? argumentPath(node, ['input', 'forOperations']) : undefined
  if (nested !== undefined && nested.kind !== Kind.NULL) {
    throw badInput(field, `${field}: issueToken with forOperations inside forOperations is not supported: list the scopes it grants`)
  }
  if (value === undefined || value.kind === Kind.NULL) return
  const items = value.kind === Kind.LIST ? value.values : [value]
  for (const item of items) {
    if (item.kind === Kind.VARIABLE)
      throw badInput(field, `${field}: the ${path.join('.')} of ${name} come from variable $${item.name.value}; write them in the document, so the scopes it needs are known`)
    if (item.kind === Kind.STRING) out.add(item.value)
  }
}

/** The value at `path` (argument, then input-object fields) of a field; a variable on the way is returned as is. */
function argumentPath(node: FieldNode, path: readonly string[]): ValueNode | undefined {
  const [argument, ...rest] = path
  let value: ValueNode | undefined = node.arguments?.find((a) => a.name.value === argument)?.value
  for (const key of rest) {
    if (value === undefined || value.kind !== Kind.OBJECT) return value
    value = value.fields.find((f) => f.name.value === key)?.value
  }
  return value
}
