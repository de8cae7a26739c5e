/**
 * SDL of the scope directives, to put beside the schema's own type definitions.
 * Kept verbatim in schema/directives.graphql (a test asserts the two agree).
 */
export const scopeDirectiveTypeDefs = `"""
The caller must hold every scope of \`scopes\`, or every scope of one list of \`anyOf\`
(OR of AND-lists, as Apollo Federation's @requiresScopes). Exactly one of the two.
On an object or interface: applies to each of its fields and to each field returning it.
On a scalar or enum: applies to each field returning it (as Federation's @requiresScopes).
"""
directive @requiresScope(scopes: [String!], anyOf: [[String!]!]) on OBJECT | INTERFACE | FIELD_DEFINITION | SCALAR | ENUM

"""The caller must be authenticated (any token); on a type, as for @requiresScope."""
directive @authenticated on OBJECT | INTERFACE | FIELD_DEFINITION | SCALAR | ENUM

"""The field itself needs nothing (satisfies default deny); rules on its type still apply."""
directive @public on FIELD_DEFINITION
`
