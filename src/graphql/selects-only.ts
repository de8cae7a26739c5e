import { Kind, type GraphQLResolveInfo } from 'graphql'

/**
 * Whether the field's selection (every node merged into it) asks for no field outside `fields`, each
 * named directly: a fragment, inline or named, counts as asking for more. A resolver may then hand
 * back a lighter value than the type's full record, since nothing else of it is read.
 */
export function selectsOnly(info: Pick<GraphQLResolveInfo, 'fieldNodes'>, fields: ReadonlySet<string>): boolean {
  for (const node of info.fieldNodes) {
    for (const selection of node.selectionSet?.selections ?? []) {
      if (selection.kind !== Kind.FIELD || !fields.has(selection.name.value)) return false
    }
  }
  return true
}
