// A Store assembled from its per-aggregate parts: each dialect builds the parts (its SQL) and this
// class gives them the one flat Store surface the domain calls. Plain delegation, nothing else.

import type {
  AppChanges,
  AppRecord,
  AuditEventInput,
  AuditEventRecord,
  AuditFilter,
  ClientSecretRecord,
  CloseScopes,
  Page,
  Position,
  RotatedEnd,
  ScopeRecord,
  ScopeUsage,
  DailyUsage,
  SigningKeyRecord,
  StoreChange,
  TokenFilter,
  TokenOrder,
  TokenName,
  TokenRecord,
  UsedScope,
  WriteGuard,
  ClaimedDelivery,
  DeliveryOutcome,
  ExpiryAnnouncement,
  WebhookChanges,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookRecord,
  WebhookStatus,
} from '../domain/model.js'
import type {
  AppStore,
  AuditStore,
  ClientSecretStore,
  MetaStore,
  OutboxFeed,
  ScopeStore,
  SigningKeyStore,
  Store,
  StoreLifecycle,
  TokenConstraintChange,
  TokenStore,
  UsageStore,
  WebhookStore,
} from '../domain/ports.js'

/** One dialect's implementation, aggregate by aggregate. */
export interface StoreParts {
  lifecycle: StoreLifecycle
  meta: MetaStore
  scopes: ScopeStore
  apps: AppStore
  tokens: TokenStore
  audit: AuditStore
  signingKeys: SigningKeyStore
  clientSecrets: ClientSecretStore
  usage: UsageStore
  webhooks: WebhookStore
}

export class ComposedStore implements Store {
  readonly #p: StoreParts

  constructor(parts: StoreParts) {
    this.#p = parts
  }

  get dialect(): Store['dialect'] {
    return this.#p.lifecycle.dialect
  }
  get outbox(): OutboxFeed {
    return this.#p.lifecycle.outbox
  }
  subscribe(listener: (change: StoreChange) => void): void {
    this.#p.lifecycle.subscribe(listener)
  }
  migrate(): Promise<void> {
    return this.#p.lifecycle.migrate()
  }
  ready(): Promise<boolean> {
    return this.#p.lifecycle.ready()
  }
  close(): Promise<void> {
    return this.#p.lifecycle.close()
  }
  initialize(seed: { scopes: ScopeRecord[]; rootApp: AppRecord; rootToken: TokenRecord; audit: AuditEventInput }): Promise<boolean> {
    return this.#p.lifecycle.initialize(seed)
  }

  getMeta(key: string): Promise<string | null> {
    return this.#p.meta.getMeta(key)
  }
  setMeta(key: string, value: string): Promise<void> {
    return this.#p.meta.setMeta(key, value)
  }
  deleteMeta(key: string): Promise<void> {
    return this.#p.meta.deleteMeta(key)
  }
  listMeta(prefix: string): Promise<{ key: string; value: string }[]> {
    return this.#p.meta.listMeta(prefix)
  }

  listScopes(): Promise<ScopeRecord[]> {
    return this.#p.scopes.listScopes()
  }
  insertScope(scope: ScopeRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
    return this.#p.scopes.insertScope(scope, audit, guard)
  }

  getApp(id: string): Promise<AppRecord | null> {
    return this.#p.apps.getApp(id)
  }
  getApps(ids: readonly string[]): Promise<AppRecord[]> {
    return this.#p.apps.getApps(ids)
  }
  listApps(options: { appId?: string | undefined; after?: Position | undefined; limit: number }): Promise<Page<AppRecord>> {
    return this.#p.apps.listApps(options)
  }
  countApps(options: { appId?: string | undefined }): Promise<number> {
    return this.#p.apps.countApps(options)
  }
  insertApp(app: AppRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
    return this.#p.apps.insertApp(app, audit, guard)
  }
  updateApp(id: string, changes: AppChanges, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
    return this.#p.apps.updateApp(id, changes, audit, guard)
  }

  getToken(id: string): Promise<TokenRecord | null> {
    return this.#p.tokens.getToken(id)
  }
  getTokens(ids: readonly string[]): Promise<TokenRecord[]> {
    return this.#p.tokens.getTokens(ids)
  }
  getTokenNames(ids: readonly string[]): Promise<TokenName[]> {
    return this.#p.tokens.getTokenNames(ids)
  }
  listChildTokens(parentIds: readonly string[]): Promise<TokenRecord[]> {
    return this.#p.tokens.listChildTokens(parentIds)
  }
  listTokens(filter: TokenFilter, options: { after?: Position | undefined; limit: number; order?: TokenOrder | undefined }): Promise<Page<TokenRecord>> {
    return this.#p.tokens.listTokens(filter, options)
  }
  countTokens(filter: TokenFilter): Promise<number> {
    return this.#p.tokens.countTokens(filter)
  }
  insertToken(token: TokenRecord, audit: AuditEventInput, activeParentAt?: number, guard?: WriteGuard): Promise<boolean> {
    return this.#p.tokens.insertToken(token, audit, activeParentAt, guard)
  }
  revokeTokenCascade(id: string, at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]> {
    return this.#p.tokens.revokeTokenCascade(id, at, reason, audit, guard)
  }
  revokeTokensCascade(ids: readonly string[], at: number, reason: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<string[]> {
    return this.#p.tokens.revokeTokensCascade(ids, at, reason, audit, guard)
  }
  rotateToken(oldId: string, successor: TokenRecord, oldEnd: RotatedEnd, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    return this.#p.tokens.rotateToken(oldId, successor, oldEnd, audit, guard)
  }
  narrowTokenScopes(id: string, scopes: string[], audit: AuditEventInput, close?: CloseScopes, guard?: WriteGuard): Promise<{ id: string; scopes: string[] }[]> {
    return this.#p.tokens.narrowTokenScopes(id, scopes, audit, close, guard)
  }
  listTokenFamily(id: string): Promise<{ id: string; parentId: string | null }[]> {
    return this.#p.tokens.listTokenFamily(id)
  }
  setTokenConstraints(changes: readonly TokenConstraintChange[], audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    return this.#p.tokens.setTokenConstraints(changes, audit, guard)
  }
  spendCredit(id: string, now: number, ancestors?: boolean): Promise<number | null> {
    return this.#p.tokens.spendCredit(id, now, ancestors)
  }
  recordTokenEvent(audit: AuditEventInput): Promise<void> {
    return this.#p.tokens.recordTokenEvent(audit)
  }

  listAuditEvents(options: AuditFilter & { after?: number | undefined; limit: number }): Promise<Page<AuditEventRecord>> {
    return this.#p.audit.listAuditEvents(options)
  }
  countAuditEvents(options: AuditFilter): Promise<number> {
    return this.#p.audit.countAuditEvents(options)
  }

  listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.#p.signingKeys.listSigningKeys()
  }
  insertSigningKey(key: SigningKeyRecord, retireAfter: number, audit: AuditEventInput, emergency?: { at: number; reason: string }, guard?: WriteGuard): Promise<string[]> {
    return this.#p.signingKeys.insertSigningKey(key, retireAfter, audit, emergency, guard)
  }
  retireSigningKeys(kids: string[], audit: AuditEventInput): Promise<void> {
    return this.#p.signingKeys.retireSigningKeys(kids, audit)
  }
  sealSigningKeys(sealed: { kid: string; privateKey: string }[], audit: AuditEventInput): Promise<void> {
    return this.#p.signingKeys.sealSigningKeys(sealed, audit)
  }
  jwtExpiriesByKid(now: number, maxLifetimeMs: number): Promise<Map<string | null, number>> {
    return this.#p.signingKeys.jwtExpiriesByKid(now, maxLifetimeMs)
  }

  insertClientSecret(secret: ClientSecretRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    return this.#p.clientSecrets.insertClientSecret(secret, audit, guard)
  }
  getClientSecret(id: string): Promise<ClientSecretRecord | null> {
    return this.#p.clientSecrets.getClientSecret(id)
  }
  listClientSecrets(appId: string): Promise<ClientSecretRecord[]> {
    return this.#p.clientSecrets.listClientSecrets(appId)
  }
  revokeClientSecret(id: string, at: number, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
    return this.#p.clientSecrets.revokeClientSecret(id, at, audit, guard)
  }

  recordUsage(usage: ScopeUsage[], needs?: ScopeUsage[], daily?: DailyUsage[]): Promise<void> {
    return this.#p.usage.recordUsage(usage, needs, daily)
  }
  listDailyUsage(tokenId: string, fromDay: string): Promise<DailyUsage[]> {
    return this.#p.usage.listDailyUsage(tokenId, fromDay)
  }

  deleteDailyUsageBefore(day: string, limit: number): Promise<number> {
    return this.#p.usage.deleteDailyUsageBefore(day, limit)
  }
  listNeeds(tokenIds: readonly string[]): Promise<ScopeUsage[]> {
    return this.#p.usage.listNeeds(tokenIds)
  }
  getUsage(tokenId: string): Promise<ScopeUsage[]> {
    return this.#p.usage.getUsage(tokenId)
  }
  listUsage(tokenIds: readonly string[]): Promise<ScopeUsage[]> {
    return this.#p.usage.listUsage(tokenIds)
  }
  listUsedScopes(tokenIds: readonly string[]): Promise<UsedScope[]> {
    return this.#p.usage.listUsedScopes(tokenIds)
  }

  insertWebhook(webhook: WebhookRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
    return this.#p.webhooks.insertWebhook(webhook, audit, guard)
  }
  updateWebhook(id: string, changes: WebhookChanges, audit: AuditEventInput, guard?: WriteGuard, expectStatus?: WebhookStatus): Promise<boolean> {
    return this.#p.webhooks.updateWebhook(id, changes, audit, guard, expectStatus)
  }
  deleteWebhook(id: string, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
    return this.#p.webhooks.deleteWebhook(id, audit, guard)
  }
  getWebhook(id: string): Promise<WebhookRecord | null> {
    return this.#p.webhooks.getWebhook(id)
  }
  listWebhooks(options: { appId?: string | undefined }): Promise<WebhookRecord[]> {
    return this.#p.webhooks.listWebhooks(options)
  }
  fanOutWebhookEvents(now: number, limit: number): Promise<number> {
    return this.#p.webhooks.fanOutWebhookEvents(now, limit)
  }
  listAnnounced(keys: readonly string[]): Promise<Set<string>> {
    return this.#p.webhooks.listAnnounced(keys)
  }
  announceExpiry(announcement: ExpiryAnnouncement, audit: AuditEventInput): Promise<boolean> {
    return this.#p.webhooks.announceExpiry(announcement, audit)
  }
  claimWebhookDeliveries(now: number, leaseUntil: number, limit: number): Promise<ClaimedDelivery[]> {
    return this.#p.webhooks.claimWebhookDeliveries(now, leaseUntil, limit)
  }
  completeWebhookDeliveries(outcomes: readonly { claim: ClaimedDelivery; outcome: DeliveryOutcome }[]): Promise<boolean[]> {
    return this.#p.webhooks.completeWebhookDeliveries(outcomes)
  }
  getWebhookDelivery(id: string): Promise<WebhookDeliveryRecord | null> {
    return this.#p.webhooks.getWebhookDelivery(id)
  }
  listWebhookDeliveries(options: {
    webhookId?: string | undefined
    appId?: string | undefined
    status?: WebhookDeliveryStatus | undefined
    limit: number
  }): Promise<WebhookDeliveryRecord[]> {
    return this.#p.webhooks.listWebhookDeliveries(options)
  }
  retryWebhookDelivery(id: string, at: number, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
    return this.#p.webhooks.retryWebhookDelivery(id, at, audit, guard)
  }
  deleteOldWebhookDeliveries(before: number, limit: number): Promise<number> {
    return this.#p.webhooks.deleteOldWebhookDeliveries(before, limit)
  }
  deleteSpentAnnouncements(options: { recordedBefore: number; expiredBefore: number; limit: number }): Promise<number> {
    return this.#p.webhooks.deleteSpentAnnouncements(options)
  }
}
