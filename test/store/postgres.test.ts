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
    const peers: PgStore[] = []
    return {
      store,
      // A second instance on the same database, as behind a load balancer.
      peer() {
        const peer = new PgStore(database.url)
        peers.push(peer)
        return peer
      },
      async cleanup() {
        for (const peer of peers) await peer.close()
        await store.close()
        await database.drop()
      },
    }
  },
  { skip: unavailable ?? false },
)
