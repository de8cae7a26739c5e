import { asc, eq } from 'drizzle-orm'
import type { AuditEventInput, ScopeRecord, WriteGuard } from '../../domain/model.js'
import type { ScopeStore } from '../../domain/ports.js'
import * as t from '../pg-schema.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { PgConnection, Tx } from './connection.js'
import { scopeRecord } from '../records.js'

/** The scope catalogue on PostgreSQL. */
export function pgScopes(c: PgConnection, writes: WriteProtocol<Tx>): ScopeStore {
  return {
    async listScopes(): Promise<ScopeRecord[]> {
      return (await c.db.select().from(t.scopes).orderBy(asc(t.scopes.name))).map(scopeRecord)
    },

    insertScope(scope: ScopeRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: async (tx) => {
          // Under the write lock, so two instances declaring one name cannot both pass this.
          const [taken] = await tx.select({ name: t.scopes.name }).from(t.scopes).where(eq(t.scopes.name, scope.name))
          if (taken) return { value: false, audit: null }
          await tx.insert(t.scopes).values(scope)
          for (const root of await tx.select().from(t.apps).where(eq(t.apps.isRoot, true))) {
            await tx
              .update(t.apps)
              .set({ allowedScopes: [...root.allowedScopes, scope.name].sort() })
              .where(eq(t.apps.id, root.id))
          }
          return { value: true, audit: { event: audit, effect: { write: 'insertScope' } } }
        },
      })
    },
  }
}
