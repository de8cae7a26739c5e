/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "# Every GraphQL operation the console runs; typed by scripts/console-codegen.ts (client preset).\n\nquery Viewer {\n  viewer { id name kind scopes status expiresAt subject app { id name isRoot } }\n}\n\nquery ScopeCatalogue {\n  scopes { name description implies }\n}\n\nquery Apps {\n  apps(first: 100) { edges { node { id name allowedScopes maxTokenLifetime isRoot disabledAt } } }\n}\n\nquery Tokens($appId: ID, $subject: String, $status: TokenStatus, $first: Int, $after: String) {\n  tokens(appId: $appId, subject: $subject, status: $status, first: $first, after: $after) {\n    totalCount\n    pageInfo { hasNextPage endCursor }\n    edges { node { id name kind status scopes subject createdAt expiresAt lastUsedAt app { id name } } }\n  }\n}\n\nquery TokenPage($id: ID!) {\n  token(id: $id) {\n    id name kind status scopes subject createdAt expiresAt revokedAt revokeReason lastUsedAt\n    usedScopes unusedScopes\n    app { id name }\n    parent { id name status }\n    createdBy { id name }\n    derivedTokens { id name status }\n  }\n}\n\nquery TokenAudit($id: String!) {\n  auditEvents(target: $id, first: 50) { edges { node { id at actor action details } } }\n}\n\nquery RevocationPreview($id: ID!) {\n  revocationPreview(id: $id) { id name status }\n}\n\nmutation IssueToken($input: IssueTokenInput!) {\n  issueToken(input: $input) { secret token { id name scopes expiresAt kind } }\n}\n\nmutation RevokeToken($id: ID!, $reason: String) {\n  revokeToken(id: $id, reason: $reason) { id status revokedAt revokeReason }\n}\n\nmutation RotateToken($id: ID!, $gracePeriod: Duration) {\n  rotateToken(id: $id, gracePeriod: $gracePeriod) { secret token { id name } }\n}\n": typeof types.ViewerDocument,
};
const documents: Documents = {
    "# Every GraphQL operation the console runs; typed by scripts/console-codegen.ts (client preset).\n\nquery Viewer {\n  viewer { id name kind scopes status expiresAt subject app { id name isRoot } }\n}\n\nquery ScopeCatalogue {\n  scopes { name description implies }\n}\n\nquery Apps {\n  apps(first: 100) { edges { node { id name allowedScopes maxTokenLifetime isRoot disabledAt } } }\n}\n\nquery Tokens($appId: ID, $subject: String, $status: TokenStatus, $first: Int, $after: String) {\n  tokens(appId: $appId, subject: $subject, status: $status, first: $first, after: $after) {\n    totalCount\n    pageInfo { hasNextPage endCursor }\n    edges { node { id name kind status scopes subject createdAt expiresAt lastUsedAt app { id name } } }\n  }\n}\n\nquery TokenPage($id: ID!) {\n  token(id: $id) {\n    id name kind status scopes subject createdAt expiresAt revokedAt revokeReason lastUsedAt\n    usedScopes unusedScopes\n    app { id name }\n    parent { id name status }\n    createdBy { id name }\n    derivedTokens { id name status }\n  }\n}\n\nquery TokenAudit($id: String!) {\n  auditEvents(target: $id, first: 50) { edges { node { id at actor action details } } }\n}\n\nquery RevocationPreview($id: ID!) {\n  revocationPreview(id: $id) { id name status }\n}\n\nmutation IssueToken($input: IssueTokenInput!) {\n  issueToken(input: $input) { secret token { id name scopes expiresAt kind } }\n}\n\nmutation RevokeToken($id: ID!, $reason: String) {\n  revokeToken(id: $id, reason: $reason) { id status revokedAt revokeReason }\n}\n\nmutation RotateToken($id: ID!, $gracePeriod: Duration) {\n  rotateToken(id: $id, gracePeriod: $gracePeriod) { secret token { id name } }\n}\n": types.ViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "# Every GraphQL operation the console runs; typed by scripts/console-codegen.ts (client preset).\n\nquery Viewer {\n  viewer { id name kind scopes status expiresAt subject app { id name isRoot } }\n}\n\nquery ScopeCatalogue {\n  scopes { name description implies }\n}\n\nquery Apps {\n  apps(first: 100) { edges { node { id name allowedScopes maxTokenLifetime isRoot disabledAt } } }\n}\n\nquery Tokens($appId: ID, $subject: String, $status: TokenStatus, $first: Int, $after: String) {\n  tokens(appId: $appId, subject: $subject, status: $status, first: $first, after: $after) {\n    totalCount\n    pageInfo { hasNextPage endCursor }\n    edges { node { id name kind status scopes subject createdAt expiresAt lastUsedAt app { id name } } }\n  }\n}\n\nquery TokenPage($id: ID!) {\n  token(id: $id) {\n    id name kind status scopes subject createdAt expiresAt revokedAt revokeReason lastUsedAt\n    usedScopes unusedScopes\n    app { id name }\n    parent { id name status }\n    createdBy { id name }\n    derivedTokens { id name status }\n  }\n}\n\nquery TokenAudit($id: String!) {\n  auditEvents(target: $id, first: 50) { edges { node { id at actor action details } } }\n}\n\nquery RevocationPreview($id: ID!) {\n  revocationPreview(id: $id) { id name status }\n}\n\nmutation IssueToken($input: IssueTokenInput!) {\n  issueToken(input: $input) { secret token { id name scopes expiresAt kind } }\n}\n\nmutation RevokeToken($id: ID!, $reason: String) {\n  revokeToken(id: $id, reason: $reason) { id status revokedAt revokeReason }\n}\n\nmutation RotateToken($id: ID!, $gracePeriod: Duration) {\n  rotateToken(id: $id, gracePeriod: $gracePeriod) { secret token { id name } }\n}\n"): typeof import('./graphql').ViewerDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
