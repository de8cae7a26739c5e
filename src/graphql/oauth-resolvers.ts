import { createClientSecret, revokeClientSecret } from '../domain/client-secrets.js'
import { listSigningKeys, rotateSigningKey, type SigningKeyInfo } from '../domain/signing-keys.js'
import type { ClientSecretRecord } from '../domain/model.js'
import { isoTimeOrNull as iso } from '../iso-time.js'
import { callOf } from './context.js'
import type { MutationResolvers, QueryResolvers, SigningAlgorithm } from './types.generated.js'

const signingKey = (k: SigningKeyInfo) => ({
  kid: k.kid,
  // Keys are only ever made for the enum's algorithms (tokens/generate-signing-key.ts, SIGNING_ALGORITHMS).
  alg: k.alg as SigningAlgorithm,
  status: k.status,
  createdAt: iso(k.createdAt) as string,
  retireAfter: iso(k.retireAfter),
  activatesAt: iso(k.activatesAt),
})
export const clientSecret = (s: ClientSecretRecord) => ({
  id: s.id,
  appId: s.appId,
  scopes: s.scopes,
  createdAt: iso(s.createdAt) as string,
  revokedAt: iso(s.revokedAt),
  lastUsedAt: iso(s.lastUsedAt),
})

/** Resolvers of the OAuth additions: client secrets and signing keys. Thin: input → one domain call → output. */
export const oauthResolvers: { Query: Pick<QueryResolvers, 'signingKeys'>; Mutation: Pick<MutationResolvers, 'createClientSecret' | 'revokeClientSecret' | 'rotateSigningKey'> } = {
  Query: {
    signingKeys: async (_p, _a, ctx) => (await listSigningKeys(ctx.domain)).map(signingKey),
  },
  Mutation: {
    createClientSecret: async (_p, { appId, scopes }, ctx) => {
      const issued = await createClientSecret(ctx.domain, callOf(ctx), appId, scopes)
      return { ...clientSecret(issued.record), scopes: issued.record.scopes ?? [], secret: issued.secret }
    },
    revokeClientSecret: async (_p, { id }, ctx) => clientSecret(await revokeClientSecret(ctx.domain, callOf(ctx), id)),
    rotateSigningKey: async (_p, { alg, revokeOld }, ctx) => signingKey(await rotateSigningKey(ctx.domain, callOf(ctx), alg, revokeOld ?? false)),
  },
}
