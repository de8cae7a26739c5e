import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { verifyAuditChain } from '../../src/domain/verify-audit.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import type { AuditEventInput, TokenRecord } from '../../src/domain/model.js'
import { tokenRecord } from '../fixtures/records.js'

function token(id: string): TokenRecord {
  return tokenRecord(id, { scopes: ['apps:read'], secretHash: 'a'.repeat(64), createdAt: 1 })
}

function audit(id: string): AuditEventInput {
  return { id, at: 1, actor: null, appId: 'root', action: 'test', target: id, requestId: null, ip: null, details: {} }
}

async function freshStore(): Promise<SqliteStore> {
  const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'sw-group-')), 'db.sqlite'))
  await store.migrate()
  await store.initialize({
    scopes: [{ name: 'apps:read', description: 'x', implies: [], builtIn: true, createdAt: 1 }],
    rootApp: {
      id: 'root',
      name: 'root',
      description: null,
      allowedScopes: ['apps:read'],
      maxTokenLifetimeMs: null,
      isRoot: true,
      createdAt: 1,
      disabledAt: null,
      tokenConstraints: null,
      audiences: [],
    },
    rootToken: token('root0000000000000'),
    audit: audit('init'),
  })
  return store
}

describe('group commit of concurrent writes', () => {
  test('writes issued together all commit, and a failing one rolls back only itself', async () => {
    const store = await freshStore()
    const writes = Array.from({ length: 20 }, (_, i) => store.insertToken(token(`tok${String(i).padStart(13, '0')}`), audit(`a${i}`)))
    // Same id twice in the same batch: the second violates the primary key.
    const duplicate = store.insertToken(token('tok0000000000000'), audit('dup'))
    const results = await Promise.allSettled([...writes, duplicate])
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 20)
    assert.equal(results[20]?.status, 'rejected')
    assert.equal(await store.countTokens({ now: 2 }), 21)
    const verdict = await verifyAuditChain(store)
    assert.deepEqual({ ok: verdict.ok, events: verdict.events }, { ok: true, events: 21 }, 'the failed write left no audit event and the chain is intact')
    await store.close()
  })

  test('a write still pending when the store closes is committed, not lost', async () => {
    const store = await freshStore()
    const pending = store.insertToken(token('late000000000000'), audit('late'))
    await store.close()
    assert.equal(await pending, true)
  })
})
