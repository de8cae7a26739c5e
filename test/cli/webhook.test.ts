// `scopeward webhook ...` in process: the secret is printed once (alone on stdout), never listed;
// bad input is an error naming the flag, with nothing written; writes made from the command line
// queue their webhook events and deliveries in the database like the server's.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { cli, cliFails, cliJson, freshDatabase, jsonError, type CliDatabase } from './harness.js'

describe('scopeward webhook', () => {
  let database: CliDatabase
  let db: string[]

  before(async () => {
    database = await freshDatabase()
    db = ['--db', database.db]
  })
  after(() => database.discard())

  test('create prints the secret once; list, update, rotate-secret, deliveries, retry and delete work on it', async () => {
    const created = await cli(['webhook', 'create', ...db, '--app', 'root', '--url', 'https://hooks.example.test/in', '--event', 'token.issued,token.revoked'])
    assert.equal(created.code, 0, created.stderr)
    const secret = created.stdout.trim()
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    assert.match(created.stderr, /only time the signing secret is shown/)
    const [listed] = await cliJson(['webhook', 'list', ...db])
    assert.equal(listed.url, 'https://hooks.example.test/in')
    assert.deepEqual(listed.events, ['token.issued', 'token.revoked'])
    assert.ok(!JSON.stringify(listed).includes('whsec_'), 'no secret listed')
    const table = await cli(['webhook', 'list', ...db])
    assert.ok(!table.stdout.includes(secret.slice(6)))

    await cliJson(['token', 'issue', ...db, '--name', 'watched', '--scope', 'tokens:read'])
    // The server's worker fans events out; a command queues them: none is lost while no server runs.
    const rotated = await cliJson(['webhook', 'rotate-secret', ...db, listed.id])
    assert.match(rotated.secret, /^whsec_/)
    assert.notEqual(rotated.secret, secret)
    const disabled = await cliJson(['webhook', 'update', ...db, listed.id, '--disable'])
    assert.equal(disabled.status, 'DISABLED')
    const enabled = await cliJson(['webhook', 'update', ...db, listed.id, '--enable', '--event', 'token.revoked'])
    assert.deepEqual([enabled.status, enabled.events], ['ACTIVE', ['token.revoked']])
    assert.deepEqual(await cliJson(['webhook', 'deliveries', ...db, '--webhook', listed.id]), [])
    const missing = await cliFails(1, ['webhook', 'retry', ...db, 'dlv_nope', '--json'])
    assert.equal(jsonError(missing).code, 'NOT_FOUND')
    const deleted = await cliJson(['webhook', 'delete', ...db, listed.id])
    assert.equal(deleted.id, listed.id)
    assert.deepEqual(await cliJson(['webhook', 'list', ...db]), [])
  })

  test('bad input names the flag and writes nothing', async () => {
    const audit = (await cliJson(['audit', 'list', ...db])).length
    const http = await cliFails(1, ['webhook', 'create', ...db, '--app', 'root', '--url', 'http://hooks.example.test/in', '--event', 'token.issued', '--json'])
    assert.equal(jsonError(http).field, '--url')
    assert.match(jsonError(http).message, /https/)
    const event = await cliFails(1, ['webhook', 'create', ...db, '--app', 'root', '--url', 'https://hooks.example.test/in', '--event', 'token.exploded', '--json'])
    assert.equal(jsonError(event).field, '--event')
    const app = await cliFails(1, ['webhook', 'create', ...db, '--app', 'no-such-app', '--url', 'https://hooks.example.test/in', '--event', 'token.issued', '--json'])
    assert.equal(jsonError(app).code, 'NOT_FOUND')
    const status = await cliFails(2, ['webhook', 'deliveries', ...db, '--status', 'LOST'])
    assert.match(status.stderr, /Allowed choices/)
    assert.equal((await cliJson(['audit', 'list', ...db])).length, audit)
    assert.deepEqual(await cliJson(['webhook', 'list', ...db]), [])
  })
})
