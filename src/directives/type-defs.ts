/**
 * SDL of the scope directives, to put beside the schema's own type definitions.
 * Kept verbatim in schema/directives.graphql (a test asserts the two agree).
 */
export const scopeDirectiveTypeDefs = `"""
The caller must hold every scope of \`scopes\`, or every scope of one list of \`anyOf\`
(OR of AND-lists, as Apollo Federation's @requiresScopes). Exactly one of the two.
On a type: applies to each of its fields and to each field returning it.
"""
directive @requiresScope(scopes: [String!], anyOf: [[String!]!]) on OBJECT | INTERFACE | FIELD_DEFINITION

"""The caller must be authenticated (any token); on a type, as for @requiresScope."""
directive @authenticated on OBJECT | INTERFACE | FIELD_DEFINITION

"""The field itself needs nothing (satisfies default deny); rules on its type still apply."""
directive @public on FIELD_DEFINITION
`
