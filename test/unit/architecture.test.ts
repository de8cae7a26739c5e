import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'

const SRC = join(import.meta.dirname, '..', '..', 'src')

function imports(dir: string): { file: string; from: string }[] {
  return readdirSync(join(SRC, dir))
    .filter((f) => f.endsWith('.ts'))
    .flatMap((file) => [...readFileSync(join(SRC, dir, file), 'utf8').matchAll(/\bfrom\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm)].map((m) => ({ file: `${dir}/${file}`, from: (m[1] ?? m[2]) as string })))
}

describe('module boundaries', () => {
  test('the directive engine imports nothing of tokens, storage or the domain', () => {
    const offenders = imports('directives').filter((i) => i.from.startsWith('..') || /store|token|domain|drizzle|sqlite|jose/.test(i.from))
    assert.deepEqual(offenders, [])
  })

  test('only store/ imports Drizzle or a database driver', () => {
    const dirs = ['directives', 'tokens', 'domain', 'graphql', 'http', 'cli']
    const offenders = dirs.flatMap(imports).filter((i) => /drizzle-orm|better-sqlite3|^pg$/.test(i.from))
    assert.deepEqual(offenders, [])
  })

  test('domain/ does not reach up into GraphQL or HTTP', () => {
    const offenders = imports('domain').filter((i) => /\/(graphql|http|cli)\//.test(i.from) || i.from === '@apollo/server')
    assert.deepEqual(offenders, [])
  })
})
