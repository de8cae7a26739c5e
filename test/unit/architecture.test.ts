// The module boundaries, asserted on the import graph of src/ (scripts/import-graph.ts: static,
// re-export, type-only and dynamic imports alike). `npm run import-graph` prints the same graph
// folder to folder.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { folderOf, importGraph, SRC, type ImportEdge } from '../../scripts/import-graph.js'

const edges = importGraph()

/** Packages that only store/ may load: Drizzle and the database drivers. */
const DRIVER = /^(drizzle-orm|better-sqlite3|pg)(\/|$)/
/** What the directive engine may load: graphql-js, graphql-tools' schema helpers, the Apollo plugin API, its cache. */
const DIRECTIVE_PACKAGES = /^(graphql|@graphql-tools\/utils|@apollo\/server|lru-cache)(\/|$)/
/** What scopeward/verify, the resource servers' library, may load besides Node built-ins. */
const VERIFY_PACKAGES = /^(jose|lru-cache)(\/|$)/
const isBuiltin = (specifier: string): boolean => specifier.startsWith('node:') || builtinModules.includes(specifier)

interface Rule {
  name: string
  breaks(edge: ImportEdge): boolean
}

const RULES: Rule[] = [
  {
    name: 'the directive engine imports nothing outside src/directives, and no driver or Node built-in',
    breaks: (e) => folderOf(e.from) === 'directives' && (e.local ? folderOf(e.to) !== 'directives' : !DIRECTIVE_PACKAGES.test(e.to) || isBuiltin(e.to)),
  },
  {
    name: 'scopeward/verify imports nothing outside src/verify: only jose, lru-cache and Node built-ins',
    breaks: (e) => folderOf(e.from) === 'verify' && (e.local ? folderOf(e.to) !== 'verify' : !VERIFY_PACKAGES.test(e.to) && !isBuiltin(e.to)),
  },
  {
    name: 'auth/, tokens/, graphql/, http/ and cli/ reach the store only through the domain',
    breaks: (e) => e.local && ['auth', 'tokens', 'graphql', 'http', 'cli'].includes(folderOf(e.from)) && folderOf(e.to) === 'store',
  },
  {
    name: 'domain/ does not reach up into GraphQL, HTTP or the command line, nor into store/ (it uses its ports)',
    breaks: (e) =>
      folderOf(e.from) === 'domain' && (e.local ? ['graphql', 'http', 'cli', 'store'].includes(folderOf(e.to)) : /^(@apollo\/server|fastify|@as-integrations\/)/.test(e.to)),
  },
  {
    name: 'store/ does not reach up into tokens, GraphQL, HTTP or the command line',
    breaks: (e) => e.local && folderOf(e.from) === 'store' && ['tokens', 'graphql', 'http', 'cli'].includes(folderOf(e.to)),
  },
  {
    name: 'nothing imports the command line (it is an entry point)',
    breaks: (e) => e.local && folderOf(e.to) === 'cli' && folderOf(e.from) !== 'cli',
  },
  {
    name: 'only store/ imports Drizzle or a database driver',
    breaks: (e) => !e.local && DRIVER.test(e.to) && folderOf(e.from) !== 'store',
  },
]

/**
 * Imports that break a rule and are accepted for now, each `importer → imported` relative to src/
 * (empty since issue 12 landed). The list may only shrink: an entry that no longer breaks a rule
 * fails the stale-list test below.
 */
const KNOWN_VIOLATIONS: readonly (readonly [string, string])[] = []

const known = (e: ImportEdge): boolean => KNOWN_VIOLATIONS.some(([from, to]) => e.from === from && e.to === to)
const show = (e: ImportEdge): string => `${e.from} → ${e.to}`

describe('module boundaries', () => {
  test('the import graph is read: every folder of src/ is seen, each kind of import is, and relative imports resolve to files', () => {
    const folders = new Set(edges.map((e) => folderOf(e.from)))
    for (const folder of ['directives', 'tokens', 'domain', 'graphql', 'http', 'cli', 'store']) assert.ok(folders.has(folder), folder)
    assert.ok(
      edges.filter((e) => e.local).every((e) => e.to.endsWith('.ts') && !e.to.startsWith('..')),
      'no import leaves src/',
    )
    // On a fixture: a type-only import, a re-export, a dynamic import(), a bare side-effect import and a package.
    const root = mkdtempSync(join(tmpdir(), 'import-graph-'))
    try {
      mkdirSync(join(root, 'a'))
      writeFileSync(
        join(root, 'a', 'x.ts'),
        "import type { T } from '../b/y.js'\nexport { z } from './z.js'\nimport './side.js'\nimport pg from 'pg'\nexport const load = () => import('../c/w.js')\n",
      )
      assert.deepEqual(importGraph(root).map(show).sort(), ['a/x.ts → a/side.ts', 'a/x.ts → a/z.ts', 'a/x.ts → b/y.ts', 'a/x.ts → c/w.ts', 'a/x.ts → pg'])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  for (const rule of RULES) {
    test(rule.name, () => {
      assert.deepEqual(edges.filter((e) => rule.breaks(e) && !known(e)).map(show), [])
    })
  }

  test('every known violation still exists and still breaks a rule (shrink the list when one is fixed)', () => {
    const stale = KNOWN_VIOLATIONS.filter(([from, to]) => !edges.some((e) => e.from === from && e.to === to && RULES.some((r) => r.breaks(e))))
    assert.deepEqual(stale, [])
  })

  test('a rule catches what it forbids (each rule is checked against an import it must refuse)', () => {
    const probes: [Rule | undefined, ImportEdge][] = [
      [RULES[0], { from: 'directives/x.ts', to: 'domain/context.ts', local: true }],
      [RULES[0], { from: 'directives/x.ts', to: 'pg', local: false }],
      [RULES[0], { from: 'directives/x.ts', to: 'node:fs', local: false }],
      [RULES[1], { from: 'verify/x.ts', to: 'tokens/opaque-token.ts', local: true }],
      [RULES[1], { from: 'verify/x.ts', to: 'errors.ts', local: true }],
      [RULES[1], { from: 'verify/x.ts', to: 'fastify', local: false }],
      [RULES[2], { from: 'http/x.ts', to: 'store/sqlite-store.ts', local: true }],
      [RULES[3], { from: 'domain/x.ts', to: 'graphql/context.ts', local: true }],
      [RULES[3], { from: 'domain/x.ts', to: 'store/narrow-family.ts', local: true }],
      [RULES[4], { from: 'store/x.ts', to: 'http/server.ts', local: true }],
      [RULES[5], { from: 'scopeward.ts', to: 'cli/main.ts', local: true }],
      [RULES[6], { from: 'domain/x.ts', to: 'drizzle-orm/sqlite-core', local: false }],
    ]
    for (const [rule, edge] of probes) assert.equal(rule?.breaks(edge), true, `${rule?.name}: ${show(edge)}`)
    assert.equal(RULES[0]?.breaks({ from: 'directives/x.ts', to: 'graphql', local: false }), false)
    assert.equal(RULES[1]?.breaks({ from: 'verify/x.ts', to: 'jose', local: false }), false)
    assert.equal(RULES[1]?.breaks({ from: 'verify/x.ts', to: 'node:crypto', local: false }), false)
  })

  test('18.18 scopeward/directives loads without a database driver (better-sqlite3, pg, drizzle)', () => {
    // In a fresh process: the modules Node actually loaded, not just the import statements.
    const loaded = (entry: string): string[] =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            '--import',
            'tsx',
            '--input-type=module',
            '-e',
            `import { createRequire } from 'node:module'; await import(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)))`,
          ],
          {
            encoding: 'utf8',
          },
        ),
      ) as string[]
    const drivers = (files: string[]) => files.filter((f) => /node_modules\/(better-sqlite3|pg|drizzle-orm)\//.test(f))
    assert.deepEqual(drivers(loaded(join(SRC, 'directives', 'index.ts'))), [])
    // Nor does scopeward/verify, nor anything of the server (Fastify, Apollo).
    const verifyLoads = loaded(join(SRC, 'verify', 'index.ts'))
    assert.deepEqual(drivers(verifyLoads), [])
    assert.deepEqual(
      verifyLoads.filter((f) => /node_modules\/(fastify|@apollo\/server|pino)\//.test(f)),
      [],
    )
    // The probe sees a driver when one is loaded.
    assert.ok(drivers(loaded(join(SRC, 'store', 'sqlite-store.ts'))).length > 0)
  })
})
