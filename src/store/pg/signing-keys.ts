import { and, asc, eq, inArray, ne, or, sql } from 'drizzle-orm'
import { isPlaintextKey, KEYS_SEALED_META, type AuditEventInput, type SigningKeyRecord, type WriteGuard } from '../../domain/model.js'
import type { SigningKeyStore } from '../../domain/ports.js'
import * as t from '../pg-schema.js'
import { expiriesByKid, jwtExpiriesByKidSql, revokeJwtsOfKeysSql } from '../signing-key-sql.js'
import { KeyWriteRefused } from '../store.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { PgConnection, Tx } from './connection.js'
import { signingKeyRecord } from '../records.js'

/** Signing keys on PostgreSQL. */
export function pgSigningKeys(c: PgConnection, writes: WriteProtocol<Tx>): SigningKeyStore {
  const markSealed = async (tx: Tx): Promise<void> => void (await tx.insert(t.meta).values({ key: KEYS_SEALED_META, value: '1' }).onConflictDoNothing())
  return {
    async listSigningKeys(): Promise<SigningKeyRecord[]> {
      return (await c.db.select().from(t.signingKeys).orderBy(asc(t.signingKeys.createdAt), asc(t.signingKeys.kid))).map(signingKeyRecord)
    },

    insertSigningKey(key: SigningKeyRecord, retireAfter: number, audit: AuditEventInput, emergency?: { at: number; reason: string }, guard?: WriteGuard): Promise<string[]> {
      return writes.run({
        guard,
        run: async (tx) => {
          if (isPlaintextKey(key.privateKey) && (await tx.select().from(t.meta).where(eq(t.meta.key, KEYS_SEALED_META))).length > 0) {
            throw new KeyWriteRefused('the signing keys of this database are sealed under a master key: set SCOPEWARD_MASTER_KEY to write a new one')
          }
          let revoked: string[] = []
          let event = audit
          if (emergency) {
            const old = (await tx.select({ kid: t.signingKeys.kid }).from(t.signingKeys).where(ne(t.signingKeys.status, 'RETIRED'))).map((r) => r.kid)
            await tx.update(t.signingKeys).set({ status: 'RETIRED', privateKey: '' }).where(ne(t.signingKeys.status, 'RETIRED'))
            revoked = (await tx.execute<{ id: string }>(revokeJwtsOfKeysSql(old, emergency.at, emergency.reason))).rows.map((r) => r.id)
            event = { ...audit, details: { ...audit.details, retired: old, revoked } }
          } else {
            await tx.update(t.signingKeys).set({ status: 'RETIRING', retireAfter }).where(eq(t.signingKeys.status, 'ACTIVE'))
          }
          await tx.insert(t.signingKeys).values(key)
          if (!isPlaintextKey(key.privateKey)) await markSealed(tx)
          return { value: revoked, audit: { event, effect: { write: 'insertSigningKey', revoked, kid: key.kid } } }
        },
      })
    },

    async retireSigningKeys(kids: string[], audit: AuditEventInput): Promise<void> {
      if (kids.length === 0) return
      await writes.run({
        run: async (tx) => {
          await tx
            .update(t.signingKeys)
            .set({ status: 'RETIRED', privateKey: '' })
            .where(and(inArray(t.signingKeys.kid, kids), or(eq(t.signingKeys.status, 'RETIRING'), and(eq(t.signingKeys.status, 'RETIRED'), ne(t.signingKeys.privateKey, '')))))
          return { value: undefined, audit: { event: audit, effect: { write: 'retireSigningKeys' } } }
        },
      })
    },

    async sealSigningKeys(sealed: { kid: string; privateKey: string }[], audit: AuditEventInput): Promise<void> {
      await writes.run({
        run: async (tx) => {
          let changed = 0
          for (const { kid, privateKey } of sealed) {
            changed += (
              await tx
                .update(t.signingKeys)
                .set({ privateKey })
                .where(and(eq(t.signingKeys.kid, kid), sql`${t.signingKeys.privateKey} LIKE '{%'`))
                .returning({ kid: t.signingKeys.kid })
            ).length
          }
          await markSealed(tx)
          return { value: undefined, audit: changed > 0 ? { event: audit, effect: { write: 'sealSigningKeys' } } : null }
        },
      })
      // The replaced row versions hold the plaintext until vacuumed: rewrite the (tiny) table now. Best effort (it needs ownership).
      await c.pool.query('VACUUM FULL signing_keys').catch(() => undefined)
    },

    async jwtExpiriesByKid(now: number, maxLifetimeMs: number): Promise<Map<string | null, number>> {
      return expiriesByKid((await c.db.execute<{ kid: string | null; until: string | null }>(jwtExpiriesByKidSql(now, maxLifetimeMs))).rows)
    },
  }
}
