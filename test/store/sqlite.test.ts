import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import { defineStoreConformance } from './conformance.js'

defineStoreConformance('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scopeward-store-'))
  const store = new SqliteStore(join(dir, 'store.db'))
  return {
    store,
    async cleanup() {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
})
