import { and, asc, eq, isNull } from 'drizzle-orm'
import type { AuditEventInput, ClientSecretRecord, WriteGuard } from '../../domain/model.js'
import type { ClientSecretStore } from '../../domain/ports.js'
import * as t from '../sqlite-schema.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { SqliteConnection, Tx } from './connection.js'
import { clientSecretRecord } from '../records.js'

/** Client secrets on SQLite. */
export function sqliteClientSecrets(c: SqliteConnection, writes: WriteProtocol<Tx>): ClientSecretStore {
  return {
    insertClientSecret(secret: ClientSecretRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<void> {
      return writes.run({
        guard,
        run: (tx) => {
          tx.insert(t.clientSecrets).values(secret).run()
          return { value: undefined, audit: { event: audit, effect: { write: 'insertClientSecret' } } }
        },
      })
    },

    async getClientSecret(id: string): Promise<ClientSecretRecord | null> {
      const row = c.db.select().from(t.clientSecrets).where(eq(t.clientSecrets.id, id)).get()
      return row ? clientSecretRecord(row) : null
    },

    async listClientSecrets(appId: string): Promise<ClientSecretRecord[]> {
      return c.db
        .select()
        .from(t.clientSecrets)
        .where(eq(t.clientSecrets.appId, appId))
        .orderBy(asc(t.clientSecrets.createdAt), asc(t.clientSecrets.id))
        .all()
        .map(clientSecretRecord)
    },

    revokeClientSecret(id: string, at: number, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: (tx) => {
          const changed = tx
            .update(t.clientSecrets)
            .set({ revokedAt: at })
            .where(and(eq(t.clientSecrets.id, id), isNull(t.clientSecrets.revokedAt)))
            .run().changes
          return changed === 0 ? { value: false, audit: null } : { value: true, audit: { event: audit, effect: { write: 'revokeClientSecret' } } }
        },
      })
    },
  }
}
