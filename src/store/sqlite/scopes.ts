import { asc, eq } from 'drizzle-orm'
import type { AuditEventInput, ScopeRecord, WriteGuard } from '../../domain/model.js'
import type { ScopeStore } from '../../domain/ports.js'
import * as t from '../sqlite-schema.js'
import type { WriteProtocol } from '../write-protocol.js'
import type { SqliteConnection, Tx } from './connection.js'
import { scopeRecord } from '../records.js'

/** The scope catalogue on SQLite. */
export function sqliteScopes(c: SqliteConnection, writes: WriteProtocol<Tx>): ScopeStore {
  return {
    async listScopes(): Promise<ScopeRecord[]> {
      return c.db.select().from(t.scopes).orderBy(asc(t.scopes.name)).all().map(scopeRecord)
    },

    insertScope(scope: ScopeRecord, audit: AuditEventInput, guard?: WriteGuard): Promise<boolean> {
      return writes.run({
        guard,
        run: (tx) => {
          if (tx.select({ name: t.scopes.name }).from(t.scopes).where(eq(t.scopes.name, scope.name)).get()) return { value: false, audit: null }
          tx.insert(t.scopes).values(scope).run()
          for (const root of tx.select().from(t.apps).where(eq(t.apps.isRoot, true)).all()) {
            tx.update(t.apps)
              .set({ allowedScopes: [...root.allowedScopes, scope.name].sort() })
              .where(eq(t.apps.id, root.id))
              .run()
          }
          return { value: true, audit: { event: audit, effect: { write: 'insertScope' } } }
        },
      })
    },
  }
}
