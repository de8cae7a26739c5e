/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** The columns a token list sorts by. Never used sorts before any use; never expiring after any expiry. */
export type TokenSort =
  | 'CREATED'
  | 'LAST_USED'
  | 'EXPIRES';

/** Constraints of a token. A member left out constrains nothing; a derived token inherits each its parent has. */
export type TokenConstraintsInput = {
  /** IPv4/IPv6 addresses or CIDR ranges; the request's client address (after trusted proxies) must lie in one. */
  allowedCidrs?: Array<string> | null | undefined;
  rateLimit?: RateLimitInput | null | undefined;
  credits?: CreditsInput | null | undefined;
};

/** At most `limit` requests in each fixed window (whole seconds). */
export type RateLimitInput = {
  limit: number;
  window: string;
};

/** A balance of requests: each authenticated request spends one. */
export type CreditsInput = {
  remaining: number;
  refill?: CreditRefillInput | null | undefined;
};

/** Every `interval` since the last refill, the balance is topped up to `amount` (never lowered). */
export type CreditRefillInput = {
  amount: number;
  interval: string;
};

/** An app's rules for its tokens' constraints: `defaults` fill what an issuer leaves out; every token must lie within `maximum` (a member set there is required). */
export type AppTokenConstraintsInput = {
  defaults?: TokenConstraintsInput | null | undefined;
  maximum?: TokenConstraintsInput | null | undefined;
};

export type TokenKind =
  /** A swt_ token: a public id and a secret, checked against its SHA-256 hash. */
  | 'OPAQUE'
  /** A signed RFC 9068 access token, verifiable offline against the JWKS. */
  | 'JWT';

export type TokenStatus =
  | 'ACTIVE'
  | 'EXPIRED'
  | 'REVOKED';

/** The algorithms Scopeward makes signing keys for (RFC 7518 names). */
export type SigningAlgorithm =
  /** Ed25519 (RFC 8037): the default. */
  | 'EdDSA'
  /** ECDSA with P-256 and SHA-256. */
  | 'ES256'
  /** RSASSA-PKCS1-v1_5 with SHA-256: the RFC 9068 interoperability floor. */
  | 'RS256';

export type SigningKeyStatus =
  | 'ACTIVE'
  | 'RETIRING'
  | 'RETIRED';

export type CreateAppInput = {
  name: string;
  description?: string | null | undefined;
  allowedScopes: Array<string>;
  maxTokenLifetime?: string | null | undefined;
  /** RFC 8707 resource URIs (absolute, no fragment; at most 20) its JWTs may name as their `aud`. */
  audiences?: Array<string> | null | undefined;
  tokenConstraints?: AppTokenConstraintsInput | null | undefined;
};

export type UpdateAppInput = {
  name?: string | null | undefined;
  description?: string | null | undefined;
  allowedScopes?: Array<string> | null | undefined;
  maxTokenLifetime?: string | null | undefined;
  /** Replaces the app's audiences. Tokens already issued keep theirs until they expire, but /v1/verify refuses an audience the app no longer declares. */
  audiences?: Array<string> | null | undefined;
  /** Replaces the app's rules; null removes them. Applies to tokens issued from now on. */
  tokenConstraints?: AppTokenConstraintsInput | null | undefined;
};

export type IssueTokenInput = {
  /** Defaults to the calling token's app. */
  appId?: string | number | null | undefined;
  subject?: string | null | undefined;
  name: string;
  /** The scopes to grant; or give forOperations instead. */
  scopes?: Array<string> | null | undefined;
  /** GraphQL documents the token must be able to run: it gets the least scopes they need. */
  forOperations?: Array<string> | null | undefined;
  /** Lifetime; defaults to P90D for OPAQUE and PT15M for JWT, within the app's maxTokenLifetime. */
  expiresIn?: string | null | undefined;
  /** A token that never expires: only when asked for and no lifetime policy applies. */
  noExpiry?: boolean | null | undefined;
  kind?: TokenKind | null | undefined;
  /** kind JWT only: the resources (RFC 8707) the token is for, its `aud`; each declared in the app's `audiences`. Default: Scopeward's own. */
  audience?: Array<string> | null | undefined;
  /** What the token is for (at most 500 characters), shown beside its name. */
  description?: string | null | undefined;
  /** Within the app's maximum; the app's defaults fill what is left out. */
  constraints?: TokenConstraintsInput | null | undefined;
};

export type DeriveTokenInput = {
  name: string;
  scopes: Array<string>;
  /** Lifetime; never beyond the calling token's own expiry. */
  expiresIn?: string | null | undefined;
  kind?: TokenKind | null | undefined;
  /** What the child is for (at most 500 characters), shown beside its name. */
  description?: string | null | undefined;
  /** Only narrower than the calling token's (each member left out is inherited). */
  constraints?: TokenConstraintsInput | null | undefined;
};

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { id: string, name: string, kind: TokenKind, scopes: Array<string>, status: TokenStatus, expiresAt: string | null, subject: string | null, app: { id: string, name: string, isRoot: boolean } } | null };

export type ScopeCatalogueQueryVariables = Exact<{ [key: string]: never; }>;


export type ScopeCatalogueQuery = { scopes: Array<{ name: string, description: string, implies: Array<string> }> | null };

export type AppsQueryVariables = Exact<{ [key: string]: never; }>;


export type AppsQuery = { apps: { edges: Array<{ node: { id: string, name: string, allowedScopes: Array<string>, maxTokenLifetime: string | null, isRoot: boolean, disabledAt: string | null, audiences: Array<string> } }> } | null };

export type TokensQueryVariables = Exact<{
  appId?: string | number | null | undefined;
  subject?: string | null | undefined;
  status?: TokenStatus | null | undefined;
  kind?: TokenKind | null | undefined;
  search?: string | null | undefined;
  sort?: TokenSort | null | undefined;
  descending?: boolean | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type TokensQuery = { tokens: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string, kind: TokenKind, status: TokenStatus, scopes: Array<string>, subject: string | null, createdAt: string, expiresAt: string | null, lastUsedAt: string | null, app: { id: string, name: string } } }> } | null };

export type TokenPageQueryVariables = Exact<{
  id: string | number;
}>;


export type TokenPageQuery = { token: { id: string, name: string, description: string | null, kind: TokenKind, status: TokenStatus, scopes: Array<string>, subject: string | null, createdAt: string, expiresAt: string | null, revokedAt: string | null, revokeReason: string | null, lastUsedAt: string | null, usedScopes: Array<string>, unusedScopes: Array<string>, audiences: Array<string> | null, constraints: { allowedCidrs: Array<string> | null, rateLimit: { limit: number, window: string, remaining: number | null, reset: number | null } | null, credits: { remaining: number, nextRefillAt: string | null, refill: { amount: number, interval: string } | null } | null } | null, app: { id: string, name: string }, parent: { id: string, name: string, status: TokenStatus } | null, createdBy: { id: string, name: string } | null, derivedTokens: Array<{ id: string, name: string, status: TokenStatus }> | null } | null };

export type TokenUsageQueryVariables = Exact<{
  id: string | number;
}>;


export type TokenUsageQuery = { token: { id: string, usageByDay: Array<{ day: string, scope: string, count: number }> | null } | null };

export type DeriveTokenMutationVariables = Exact<{
  input: DeriveTokenInput;
}>;


export type DeriveTokenMutation = { deriveToken: { secret: string, token: { id: string, name: string, scopes: Array<string>, expiresAt: string | null } } };

export type TokenAuditQueryVariables = Exact<{
  id: string;
}>;


export type TokenAuditQuery = { auditEvents: { edges: Array<{ node: { id: string, at: string, actor: string | null, action: string, details: Record<string, unknown> } }> } | null };

export type RevocationPreviewQueryVariables = Exact<{
  id: string | number;
}>;


export type RevocationPreviewQuery = { revocationPreview: Array<{ id: string, name: string, status: TokenStatus }> | null };

export type IssueTokenMutationVariables = Exact<{
  input: IssueTokenInput;
}>;


export type IssueTokenMutation = { issueToken: { secret: string, token: { id: string, name: string, scopes: Array<string>, expiresAt: string | null, kind: TokenKind } } };

export type RevokeTokenMutationVariables = Exact<{
  id: string | number;
  reason?: string | null | undefined;
}>;


export type RevokeTokenMutation = { revokeToken: { id: string, status: TokenStatus, revokedAt: string | null, revokeReason: string | null } };

export type RotateTokenMutationVariables = Exact<{
  id: string | number;
  gracePeriod?: string | null | undefined;
}>;


export type RotateTokenMutation = { rotateToken: { secret: string, token: { id: string, name: string } } };

export type OverPermissionedQueryVariables = Exact<{
  unusedFor: string;
  after?: string | null | undefined;
}>;


export type OverPermissionedQuery = { overPermissionedTokens: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { unusedScopes: Array<string>, suggestedScopes: Array<string>, token: { id: string, name: string, scopes: Array<string>, lastUsedAt: string | null, app: { name: string } } } }> } | null };

export type LifetimesQueryVariables = Exact<{ [key: string]: never; }>;


export type LifetimesQuery = { expiring: { totalCount: number, edges: Array<{ node: { id: string, name: string, expiresAt: string | null, app: { name: string } } }> } | null, neverExpiringTokens: { totalCount: number, edges: Array<{ node: { id: string, name: string, createdAt: string, app: { name: string } } }> } | null, active: { totalCount: number } | null, expired: { totalCount: number } | null, revoked: { totalCount: number } | null };

export type TrimTokenMutationVariables = Exact<{
  id: string | number;
  unusedFor?: string | null | undefined;
  dryRun?: boolean | null | undefined;
}>;


export type TrimTokenMutation = { trimToken: { removedScopes: Array<string>, keptScopes: Array<string>, dryRun: boolean, token: { id: string, scopes: Array<string> } } };

export type AppsPageQueryVariables = Exact<{ [key: string]: never; }>;


export type AppsPageQuery = { apps: { edges: Array<{ node: { id: string, name: string, description: string | null, allowedScopes: Array<string>, maxTokenLifetime: string | null, isRoot: boolean, createdAt: string, disabledAt: string | null, clientCredentials: Array<{ id: string, scopes: Array<string> | null, createdAt: string, revokedAt: string | null, lastUsedAt: string | null }> | null } }> } | null };

export type CreateAppMutationVariables = Exact<{
  input: CreateAppInput;
}>;


export type CreateAppMutation = { createApp: { id: string, name: string } };

export type UpdateAppMutationVariables = Exact<{
  id: string | number;
  input: UpdateAppInput;
}>;


export type UpdateAppMutation = { updateApp: { id: string, allowedScopes: Array<string>, maxTokenLifetime: string | null } };

export type DisableAppMutationVariables = Exact<{
  id: string | number;
}>;


export type DisableAppMutation = { disableApp: { id: string, disabledAt: string | null } };

export type EnableAppMutationVariables = Exact<{
  id: string | number;
}>;


export type EnableAppMutation = { enableApp: { id: string, disabledAt: string | null } };

export type CreateClientSecretMutationVariables = Exact<{
  appId: string | number;
  scopes?: Array<string> | string | null | undefined;
}>;


export type CreateClientSecretMutation = { createClientSecret: { id: string, secret: string, scopes: Array<string>, createdAt: string } };

export type RevokeClientSecretMutationVariables = Exact<{
  id: string | number;
}>;


export type RevokeClientSecretMutation = { revokeClientSecret: { id: string, revokedAt: string | null } };

export type AuditLogQueryVariables = Exact<{
  actor?: string | number | null | undefined;
  action?: string | null | undefined;
  target?: string | null | undefined;
  from?: string | null | undefined;
  to?: string | null | undefined;
  after?: string | null | undefined;
}>;


export type AuditLogQuery = { auditEvents: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, at: string, actor: string | null, appId: string | null, action: string, target: string | null, details: Record<string, unknown> } }> } | null };

export type AuditChainQueryVariables = Exact<{ [key: string]: never; }>;


export type AuditChainQuery = { auditChainStatus: { ok: boolean, events: number, firstBadEvent: number | null, problem: string | null } | null };

export type SigningKeysQueryVariables = Exact<{ [key: string]: never; }>;


export type SigningKeysQuery = { signingKeys: Array<{ kid: string, alg: SigningAlgorithm, status: SigningKeyStatus, createdAt: string, retireAfter: string | null }> | null };

export type RotateSigningKeyMutationVariables = Exact<{
  alg?: SigningAlgorithm | null | undefined;
}>;


export type RotateSigningKeyMutation = { rotateSigningKey: { kid: string, alg: SigningAlgorithm, status: SigningKeyStatus } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const ViewerDocument = new TypedDocumentString(`
    query Viewer {
  viewer {
    id
    name
    kind
    scopes
    status
    expiresAt
    subject
    app {
      id
      name
      isRoot
    }
  }
}
    `) as unknown as TypedDocumentString<ViewerQuery, ViewerQueryVariables>;
export const ScopeCatalogueDocument = new TypedDocumentString(`
    query ScopeCatalogue {
  scopes {
    name
    description
    implies
  }
}
    `) as unknown as TypedDocumentString<ScopeCatalogueQuery, ScopeCatalogueQueryVariables>;
export const AppsDocument = new TypedDocumentString(`
    query Apps {
  apps(first: 100) {
    edges {
      node {
        id
        name
        allowedScopes
        maxTokenLifetime
        isRoot
        disabledAt
        audiences
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AppsQuery, AppsQueryVariables>;
export const TokensDocument = new TypedDocumentString(`
    query Tokens($appId: ID, $subject: String, $status: TokenStatus, $kind: TokenKind, $search: String, $sort: TokenSort, $descending: Boolean, $first: Int, $after: String) {
  tokens(
    appId: $appId
    subject: $subject
    status: $status
    kind: $kind
    search: $search
    sort: $sort
    descending: $descending
    first: $first
    after: $after
  ) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        name
        kind
        status
        scopes
        subject
        createdAt
        expiresAt
        lastUsedAt
        app {
          id
          name
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TokensQuery, TokensQueryVariables>;
export const TokenPageDocument = new TypedDocumentString(`
    query TokenPage($id: ID!) {
  token(id: $id) {
    id
    name
    description
    kind
    status
    scopes
    subject
    createdAt
    expiresAt
    revokedAt
    revokeReason
    lastUsedAt
    usedScopes
    unusedScopes
    audiences
    constraints {
      allowedCidrs
      rateLimit {
        limit
        window
        remaining
        reset
      }
      credits {
        remaining
        refill {
          amount
          interval
        }
        nextRefillAt
      }
    }
    app {
      id
      name
    }
    parent {
      id
      name
      status
    }
    createdBy {
      id
      name
    }
    derivedTokens {
      id
      name
      status
    }
  }
}
    `) as unknown as TypedDocumentString<TokenPageQuery, TokenPageQueryVariables>;
export const TokenUsageDocument = new TypedDocumentString(`
    query TokenUsage($id: ID!) {
  token(id: $id) {
    id
    usageByDay(days: 30) {
      day
      scope
      count
    }
  }
}
    `) as unknown as TypedDocumentString<TokenUsageQuery, TokenUsageQueryVariables>;
export const DeriveTokenDocument = new TypedDocumentString(`
    mutation DeriveToken($input: DeriveTokenInput!) {
  deriveToken(input: $input) {
    secret
    token {
      id
      name
      scopes
      expiresAt
    }
  }
}
    `) as unknown as TypedDocumentString<DeriveTokenMutation, DeriveTokenMutationVariables>;
export const TokenAuditDocument = new TypedDocumentString(`
    query TokenAudit($id: String!) {
  auditEvents(target: $id, first: 50) {
    edges {
      node {
        id
        at
        actor
        action
        details
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TokenAuditQuery, TokenAuditQueryVariables>;
export const RevocationPreviewDocument = new TypedDocumentString(`
    query RevocationPreview($id: ID!) {
  revocationPreview(id: $id) {
    id
    name
    status
  }
}
    `) as unknown as TypedDocumentString<RevocationPreviewQuery, RevocationPreviewQueryVariables>;
export const IssueTokenDocument = new TypedDocumentString(`
    mutation IssueToken($input: IssueTokenInput!) {
  issueToken(input: $input) {
    secret
    token {
      id
      name
      scopes
      expiresAt
      kind
    }
  }
}
    `) as unknown as TypedDocumentString<IssueTokenMutation, IssueTokenMutationVariables>;
export const RevokeTokenDocument = new TypedDocumentString(`
    mutation RevokeToken($id: ID!, $reason: String) {
  revokeToken(id: $id, reason: $reason) {
    id
    status
    revokedAt
    revokeReason
  }
}
    `) as unknown as TypedDocumentString<RevokeTokenMutation, RevokeTokenMutationVariables>;
export const RotateTokenDocument = new TypedDocumentString(`
    mutation RotateToken($id: ID!, $gracePeriod: Duration) {
  rotateToken(id: $id, gracePeriod: $gracePeriod) {
    secret
    token {
      id
      name
    }
  }
}
    `) as unknown as TypedDocumentString<RotateTokenMutation, RotateTokenMutationVariables>;
export const OverPermissionedDocument = new TypedDocumentString(`
    query OverPermissioned($unusedFor: Duration!, $after: String) {
  overPermissionedTokens(unusedFor: $unusedFor, first: 50, after: $after) {
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        unusedScopes
        suggestedScopes
        token {
          id
          name
          scopes
          lastUsedAt
          app {
            name
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<OverPermissionedQuery, OverPermissionedQueryVariables>;
export const LifetimesDocument = new TypedDocumentString(`
    query Lifetimes {
  expiring: expiringTokens(within: "P84D", first: 100) {
    totalCount
    edges {
      node {
        id
        name
        expiresAt
        app {
          name
        }
      }
    }
  }
  neverExpiringTokens(first: 100) {
    totalCount
    edges {
      node {
        id
        name
        createdAt
        app {
          name
        }
      }
    }
  }
  active: tokens(status: ACTIVE, first: 1) {
    totalCount
  }
  expired: tokens(status: EXPIRED, first: 1) {
    totalCount
  }
  revoked: tokens(status: REVOKED, first: 1) {
    totalCount
  }
}
    `) as unknown as TypedDocumentString<LifetimesQuery, LifetimesQueryVariables>;
export const TrimTokenDocument = new TypedDocumentString(`
    mutation TrimToken($id: ID!, $unusedFor: Duration, $dryRun: Boolean) {
  trimToken(id: $id, unusedFor: $unusedFor, dryRun: $dryRun) {
    removedScopes
    keptScopes
    dryRun
    token {
      id
      scopes
    }
  }
}
    `) as unknown as TypedDocumentString<TrimTokenMutation, TrimTokenMutationVariables>;
export const AppsPageDocument = new TypedDocumentString(`
    query AppsPage {
  apps(first: 100) {
    edges {
      node {
        id
        name
        description
        allowedScopes
        maxTokenLifetime
        isRoot
        createdAt
        disabledAt
        clientCredentials {
          id
          scopes
          createdAt
          revokedAt
          lastUsedAt
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AppsPageQuery, AppsPageQueryVariables>;
export const CreateAppDocument = new TypedDocumentString(`
    mutation CreateApp($input: CreateAppInput!) {
  createApp(input: $input) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<CreateAppMutation, CreateAppMutationVariables>;
export const UpdateAppDocument = new TypedDocumentString(`
    mutation UpdateApp($id: ID!, $input: UpdateAppInput!) {
  updateApp(id: $id, input: $input) {
    id
    allowedScopes
    maxTokenLifetime
  }
}
    `) as unknown as TypedDocumentString<UpdateAppMutation, UpdateAppMutationVariables>;
export const DisableAppDocument = new TypedDocumentString(`
    mutation DisableApp($id: ID!) {
  disableApp(id: $id) {
    id
    disabledAt
  }
}
    `) as unknown as TypedDocumentString<DisableAppMutation, DisableAppMutationVariables>;
export const EnableAppDocument = new TypedDocumentString(`
    mutation EnableApp($id: ID!) {
  enableApp(id: $id) {
    id
    disabledAt
  }
}
    `) as unknown as TypedDocumentString<EnableAppMutation, EnableAppMutationVariables>;
export const CreateClientSecretDocument = new TypedDocumentString(`
    mutation CreateClientSecret($appId: ID!, $scopes: [String!]) {
  createClientSecret(appId: $appId, scopes: $scopes) {
    id
    secret
    scopes
    createdAt
  }
}
    `) as unknown as TypedDocumentString<CreateClientSecretMutation, CreateClientSecretMutationVariables>;
export const RevokeClientSecretDocument = new TypedDocumentString(`
    mutation RevokeClientSecret($id: ID!) {
  revokeClientSecret(id: $id) {
    id
    revokedAt
  }
}
    `) as unknown as TypedDocumentString<RevokeClientSecretMutation, RevokeClientSecretMutationVariables>;
export const AuditLogDocument = new TypedDocumentString(`
    query AuditLog($actor: ID, $action: String, $target: String, $from: DateTime, $to: DateTime, $after: String) {
  auditEvents(
    actor: $actor
    action: $action
    target: $target
    from: $from
    to: $to
    first: 50
    after: $after
  ) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        at
        actor
        appId
        action
        target
        details
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AuditLogQuery, AuditLogQueryVariables>;
export const AuditChainDocument = new TypedDocumentString(`
    query AuditChain {
  auditChainStatus {
    ok
    events
    firstBadEvent
    problem
  }
}
    `) as unknown as TypedDocumentString<AuditChainQuery, AuditChainQueryVariables>;
export const SigningKeysDocument = new TypedDocumentString(`
    query SigningKeys {
  signingKeys {
    kid
    alg
    status
    createdAt
    retireAfter
  }
}
    `) as unknown as TypedDocumentString<SigningKeysQuery, SigningKeysQueryVariables>;
export const RotateSigningKeyDocument = new TypedDocumentString(`
    mutation RotateSigningKey($alg: SigningAlgorithm) {
  rotateSigningKey(alg: $alg) {
    kid
    alg
    status
  }
}
    `) as unknown as TypedDocumentString<RotateSigningKeyMutation, RotateSigningKeyMutationVariables>;