import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
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

  test('18.18 scopeward/directives loads without a database driver (better-sqlite3, pg, drizzle)', () => {
    // In a fresh process: the modules Node actually loaded, not just the import statements.
    const loaded = (entry: string): string[] =>
      JSON.parse(
        execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { createRequire } from 'node:module'; await import(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)))`], {
          encoding: 'utf8',
        }),
      ) as string[]
    const drivers = (files: string[]) => files.filter((f) => /node_modules\/(better-sqlite3|pg|drizzle-orm)\//.test(f))
    assert.deepEqual(drivers(loaded(join(SRC, 'directives', 'index.ts'))), [])
    // The probe sees a driver when one is loaded.
    assert.ok(drivers(loaded(join(SRC, 'store', 'sqlite-store.ts'))).length > 0)
  })
})
