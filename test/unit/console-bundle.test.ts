// Issue 13: the console without the explorer loads under 250 KB of JavaScript gzipped, and the
// explorer (GraphiQL) is a separate chunk loaded only on its page.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'

const dist = join(import.meta.dirname, '..', '..', 'dist', 'console')
const built = existsSync(join(dist, '.vite', 'manifest.json'))

interface Chunk {
  file: string
  imports?: string[]
  dynamicImports?: string[]
  isEntry?: boolean
}

test('13 the console loads under 250 KB of JavaScript gzipped, without the explorer', { skip: built ? false : 'the console is not built (npm run build:console)' }, () => {
  const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<string, Chunk>
  const entry = Object.entries(manifest).find(([, c]) => c.isEntry)
  assert.ok(entry, 'an entry chunk')
  // Everything the page loads up front: the entry and its static imports, transitively (dynamic imports are not).
  const loaded = new Set<string>()
  const visit = (key: string) => {
    const chunk = manifest[key] as Chunk
    if (loaded.has(chunk.file)) return
    loaded.add(chunk.file)
    for (const i of chunk.imports ?? []) visit(i)
  }
  visit(entry[0])
  const gzipped = [...loaded].filter((f) => f.endsWith('.js')).reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, f))).length, 0)
  console.log(`# console JavaScript loaded up front: ${[...loaded].join(', ')}: ${(gzipped / 1024).toFixed(1)} KB gzipped`)
  assert.ok(gzipped < 250 * 1024, `${gzipped} bytes gzipped`)
  assert.ok(![...loaded].some((f) => /explorer/.test(f)), 'the explorer is not loaded up front')
  assert.ok(
    (entry[1].dynamicImports ?? []).some((k) => /explorer/.test(k)),
    'the explorer is a dynamic import',
  )
})
