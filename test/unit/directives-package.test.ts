// Issue 18.18: the directive engine is published on its own (packages/directives, `npm run build:directives`),
// so a user of the library installs graphql and Apollo, never the server's database drivers.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'

const ROOT = join(import.meta.dirname, '..', '..')
const manifest = JSON.parse(readFileSync(join(ROOT, 'packages', 'directives', 'package.json'), 'utf8')) as {
  name: string
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  files: string[]
}
const server = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})])
/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/')
const bareImports = (dir: string, ext: string): Set<string> => {
  const found = new Set<string>()
  for (const file of readdirSync(dir).filter((f) => f.endsWith(ext))) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^'.][^']*)'/g)) found.add(packageOf(m[1] ?? ''))
  }
  return found
}

describe('18.18 the directive engine as its own package', () => {
  test('declares no database driver, logger, HTTP framework or other server dependency', () => {
    for (const name of declared) assert.ok(['graphql', '@apollo/server', '@graphql-tools/utils', 'lru-cache'].includes(name), `${manifest.name} declares ${name}`)
    for (const name of ['better-sqlite3', 'pg', 'drizzle-orm', 'fastify', 'pino', 'jose']) assert.ok(!declared.has(name), name)
    assert.deepEqual(manifest.files, ['dist', 'README.md'])
  })

  test('declares every package its source imports, at the versions the server pins', () => {
    for (const name of bareImports(join(ROOT, 'src', 'directives'), '.ts')) {
      assert.ok(declared.has(name) || name.startsWith('node:'), `src/directives imports ${name}, which ${manifest.name} does not declare`)
    }
    for (const [name, version] of Object.entries(manifest.dependencies ?? {})) assert.equal(version, server.dependencies[name], name)
  })

  test('compiles on its own, and what it emits imports only its own files and declared packages', () => {
    const out = mkdtempSync(join(tmpdir(), 'sw-directives-'))
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.directives.json'), '--outDir', out], {
        cwd: ROOT,
        stdio: 'pipe',
      })
      const emitted = readdirSync(out)
      assert.ok(emitted.includes('index.js') && emitted.includes('index.d.ts'), emitted.join(' '))
      for (const name of bareImports(out, '.js')) assert.ok(declared.has(name), `the built package imports ${name}`)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})
