import { and, asc, eq, inArray, ne, or, sql } from 'drizzle-orm'
import { isPlaintextKey, KEYS_SEALED_META, type AuditEventInput, type SigningKeyRecord, type WriteGuard } from '../../domain/model.js'
import type { SigningKeyStore } from '../../domain/ports.js'
import { expiriesByKid, jwtExpiriesByKidSql, revokeJwtsOfKeysSql } from '../signing-key-sql.js'
import * as t from '../sqlite-schema.js'
import { KeyWriteRefused } from '../store.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { SqliteConnection, Tx } from './connection.js'
import { signingKeyRecord } from '../records.js'

/** Signing keys on SQLite. */
export function sqliteSigningKeys(c: SqliteConnection, writes: WriteProtocol<Tx>): SigningKeyStore {
  const markSealed = (tx: Tx): void => void tx.insert(t.meta).values({ key: KEYS_SEALED_META, value: '1' }).onConflictDoNothing().run()
  return {
    async listSigningKeys(): Promise<SigningKeyRecord[]> {
      return c.db.select().from(t.signingKeys).orderBy(asc(t.signingKeys.createdAt), asc(t.signingKeys.kid)).all().map(signingKeyRecord)
    },

    insertSigningKey(key: SigningKeyRecord, retireAfter: number, audit: AuditEventInput, emergency?: { at: number; reason: string }, guard?: WriteGuard): Promise<string[]> {
      return writes.run({
        guard,
        run: (tx) => {
          if (isPlaintextKey(key.privateKey) && tx.select().from(t.meta).where(eq(t.meta.key, KEYS_SEALED_META)).get()) {
            throw new KeyWriteRefused('the signing keys of this database are sealed under a master key: set SCOPEWARD_MASTER_KEY to write a new one')
          }
          let revoked: string[] = []
          let event = audit
          if (emergency) {
            const old = tx
              .select({ kid: t.signingKeys.kid })
              .from(t.signingKeys)
              .where(ne(t.signingKeys.status, 'RETIRED'))
              .all()
              .map((r) => r.kid)
            tx.update(t.signingKeys).set({ status: 'RETIRED', privateKey: '' }).where(ne(t.signingKeys.status, 'RETIRED')).run()
            revoked = tx.all<{ id: string }>(revokeJwtsOfKeysSql(old, emergency.at, emergency.reason)).map((r) => r.id)
            event = { ...audit, details: { ...audit.details, retired: old, revoked } }
          } else {
            tx.update(t.signingKeys).set({ status: 'RETIRING', retireAfter }).where(eq(t.signingKeys.status, 'ACTIVE')).run()
          }
          tx.insert(t.signingKeys).values(key).run()
          if (!isPlaintextKey(key.privateKey)) markSealed(tx)
          return { value: revoked, audit: { event, effect: { write: 'insertSigningKey', revoked, kid: key.kid } } }
        },
      })
    },

    async retireSigningKeys(kids: string[], audit: AuditEventInput): Promise<void> {
      if (kids.length === 0) return
      await writes.run({
        run: (tx) => {
          tx.update(t.signingKeys)
            .set({ status: 'RETIRED', privateKey: '' })
            .where(and(inArray(t.signingKeys.kid, kids), or(eq(t.signingKeys.status, 'RETIRING'), and(eq(t.signingKeys.status, 'RETIRED'), ne(t.signingKeys.privateKey, '')))))
            .run()
          return { value: undefined, audit: { event: audit, effect: { write: 'retireSigningKeys' } } }
        },
      })
      c.scrub()
    },

    async sealSigningKeys(sealed: { kid: string; privateKey: string }[], audit: AuditEventInput): Promise<void> {
      await writes.run({
        run: (tx) => {
          let changed = 0
          for (const { kid, privateKey } of sealed) {
            changed += tx
              .update(t.signingKeys)
              .set({ privateKey })
              .where(and(eq(t.signingKeys.kid, kid), sql`${t.signingKeys.privateKey} LIKE '{%'`))
              .run().changes
          }
          markSealed(tx)
          return { value: undefined, audit: changed > 0 ? { event: audit, effect: { write: 'sealSigningKeys' } } : null }
        },
      })
      c.scrub()
    },

    async jwtExpiriesByKid(now: number, maxLifetimeMs: number): Promise<Map<string | null, number>> {
      return expiriesByKid(c.db.all<{ kid: string | null; until: number | null }>(jwtExpiriesByKidSql(now, maxLifetimeMs)))
    },
  }
}
