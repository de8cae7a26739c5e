// `scopeward scope ...`, `client-secret ...` and `keys ...` in process.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { assertIsoTimes, cli, cliFails, cliJson, freshDatabase, jsonError, type CliDatabase } from './harness.js'

describe('scopeward scope, client-secret and keys', () => {
  let fx: CliDatabase
  let db: string[]
  before(async () => {
    fx = await freshDatabase()
    db = ['--db', fx.db]
    await cliJson(['app', 'create', ...db, '--name', 'billing', '--scope', 'tokens:read,apps:read'])
  })
  after(() => fx.discard())

  test('scope declare adds a scope that implies declared ones; list shows it beside the built-ins', async () => {
    await cliJson(['scope', 'declare', ...db, 'invoices:read', '--description', 'read invoices'])
    const declared = await cliJson(['scope', 'declare', ...db, 'invoices:write', '--description', 'change invoices', '--implies', 'invoices:read'])
    assert.deepEqual(declared, { name: 'invoices:write', description: 'change invoices', implies: ['invoices:read'], builtIn: false })
    const scopes = await cliJson<any[]>(['scope', 'list', ...db])
    assert.ok(scopes.some((s) => s.name === 'tokens:read' && s.builtIn))
    assert.ok(scopes.some((s) => s.name === 'invoices:write' && !s.builtIn))
    const text = await cli(['scope', 'list', ...db])
    assert.match(text.stdout, /invoices:write +invoices:read +no +change invoices/)
  })

  test('scope declare refuses a duplicate (CONFLICT), an undeclared implied scope (naming --implies) and a missing --description (exit 2)', async () => {
    assert.equal(jsonError(await cliFails(1, ['scope', 'declare', ...db, 'invoices:read', '--description', 'again', '--json'])).code, 'CONFLICT')
    const implied = jsonError(await cliFails(1, ['scope', 'declare', ...db, 'x:y', '--description', 'd', '--implies', 'nope:nope', '--json']))
    assert.equal(implied.field, '--implies')
    await cliFails(2, ['scope', 'declare', ...db, 'x:y'])
    const badName = await cliFails(1, ['scope', 'declare', ...db, 'Not A Scope', '--description', 'd'])
    assert.match(badName.stderr, /<name>/)
  })

  test('client-secret create prints the secret once on stdout; list shows metadata only; revoke by id or full secret never echoes it', async () => {
    const created = await cli(['client-secret', 'create', ...db, '--app', 'billing', '--scope', 'tokens:read'])
    assert.equal(created.code, 0, created.stderr)
    const secret = created.stdout.trim()
    assert.match(secret, /^sws_/)
    assert.match(created.stderr, /client_id=app_/)
    assert.match(created.stderr, /only time the secret is shown/)
    const json = await cliJson(['client-secret', 'create', ...db, '--app', 'billing'])
    assert.deepEqual(Object.keys(json).sort(), ['appId', 'createdAt', 'id', 'scopes', 'secret'])
    assert.deepEqual(json.scopes, ['apps:read', 'tokens:read'])
    const listed = await cliJson<any[]>(['client-secret', 'list', ...db, '--app', 'billing'])
    assert.equal(listed.length, 2)
    assert.ok(listed.every((s) => !('secret' in s) && !('secretHash' in s) && s.revokedAt === null))
    assertIsoTimes(listed)
    const table = await cli(['client-secret', 'list', ...db, '--app', 'billing'])
    assert.match(table.stdout.split('\n')[0] as string, /LAST USED$/)
    const revoked = await cli(['client-secret', 'revoke', ...db, secret])
    assert.equal(revoked.code, 0, revoked.stderr)
    assert.ok(!`${revoked.stdout}${revoked.stderr}`.includes(secret.slice(20)))
    const again = await cliJson(['client-secret', 'revoke', ...db, json.id])
    assert.ok(again.revokedAt)
    assert.equal((await cliJson<any[]>(['client-secret', 'list', ...db, '--app', 'billing'])).filter((s) => s.revokedAt !== null).length, 2)
  })

  test('client-secret refuses scopes beyond the app ceiling (naming --scope), an unknown app, an unknown secret', async () => {
    const wide = await cliFails(1, ['client-secret', 'create', ...db, '--app', 'billing', '--scope', 'apps:write', '--json'])
    assert.equal(jsonError(wide).field, '--scope')
    assert.equal(jsonError(await cliFails(1, ['client-secret', 'list', ...db, '--app', 'nope', '--json'])).code, 'NOT_FOUND')
    assert.equal(jsonError(await cliFails(1, ['client-secret', 'revoke', ...db, 'Zz9Zz9Zz9Zz9Zz9Z', '--json'])).code, 'NOT_FOUND')
    await cliFails(2, ['client-secret', 'create', ...db])
  })

  test('keys rotate makes a new key (case-insensitive --alg); keys list shows every key with ISO times', async () => {
    const key = await cliJson(['keys', 'rotate', ...db, '--alg', 'es256'])
    assert.equal(key.alg, 'ES256')
    assertIsoTimes(key)
    const keys = await cliJson<any[]>(['keys', 'list', ...db])
    assert.ok(keys.some((k) => k.kid === key.kid))
    assert.ok(keys.every((k) => !('privateKey' in k) && !('publicJwk' in k)))
    assertIsoTimes(keys)
    const text = await cli(['keys', 'list', ...db])
    assert.match(text.stdout, new RegExp(`${key.kid} +ES256`))
    await cliFails(2, ['keys', 'rotate', ...db, '--alg', 'HS256'])
  })
})
