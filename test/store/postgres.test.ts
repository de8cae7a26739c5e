import { PgStore } from '../../src/store/pg-store.js'
import { defineStoreConformance } from './conformance.js'
import { createTestDatabase, pgUnavailable } from './fresh-pg-database.js'

// Each test gets a database of its own (CREATE DATABASE scopeward_test_<random>), dropped afterwards.
const unavailable = await pgUnavailable()
if (unavailable) process.stdout.write(`# skipping the PostgreSQL store suite: ${unavailable}\n`)

defineStoreConformance(
  'PostgreSQL',
  async () => {
    const database = await createTestDatabase()
    const store = new PgStore(database.url)
    return {
      store,
      async cleanup() {
        await store.close()
        await database.drop()
      },
    }
  },
  { skip: unavailable ?? false },
)
