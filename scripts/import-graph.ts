// The import graph of src/: every module each source file imports (static, `export ... from`,
// type-only and dynamic `import()` alike), read with TypeScript's own pre-processor. Run
// `npm run import-graph` to print the folder-to-folder table; test/unit/architecture.test.ts
// asserts the boundaries on the same graph.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'

export const SRC = resolve(import.meta.dirname, '..', 'src')

/** One import: `from` and `to` are paths relative to src/ (`to` is the specifier itself for a package). */
export interface ImportEdge {
  from: string
  to: string
  /** False for a package or a Node built-in. */
  local: boolean
}

/** Every .ts file under src/ (generated files included: they are imported like any other), relative to src/. */
export function sourceFiles(root = SRC): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.split('\\').join('/'))
    .sort()
}

/** The imports of every file under src/. A relative `.js` specifier resolves to its `.ts` source. */
export function importGraph(root = SRC): ImportEdge[] {
  return sourceFiles(root).flatMap((file) => {
    const text = readFileSync(join(root, file), 'utf8')
    const { importedFiles } = ts.preProcessFile(text, true, true)
    return importedFiles.map(({ fileName }): ImportEdge => {
      if (!fileName.startsWith('.')) return { from: file, to: fileName, local: false }
      const target = relative(root, resolve(root, dirname(file), fileName))
        .split('\\')
        .join('/')
      return { from: file, to: target.replace(/\.js$/, '.ts'), local: true }
    })
  })
}

/** The folder of a file relative to src/ (`domain`, `store`, ...); files at the top of src/ are `(root)`. */
export function folderOf(file: string): string {
  const slash = file.indexOf('/')
  return slash === -1 ? '(root)' : file.slice(0, slash)
}

/** Local imports between different folders, counted per (from folder, to folder). */
export function folderGraph(edges: readonly ImportEdge[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>()
  for (const e of edges) {
    if (!e.local) continue
    const from = folderOf(e.from)
    const to = folderOf(e.to)
    if (from === to) continue
    let row = out.get(from)
    if (row === undefined) out.set(from, (row = new Map<string, number>()))
    row.set(to, (row.get(to) ?? 0) + 1)
  }
  return out
}

/** The folder graph as a Markdown table: a row per importing folder, a column per imported one, the count of import statements in each cell. */
export function folderTable(edges: readonly ImportEdge[]): string {
  const graph = folderGraph(edges)
  const folders = [...new Set(sourceFilesOf(edges).map(folderOf))].sort()
  const lines = [`| imports → | ${folders.join(' | ')} |`, `| --- | ${folders.map(() => '---:').join(' | ')} |`]
  for (const from of folders) {
    const row = graph.get(from)
    lines.push(`| **${from}** | ${folders.map((to) => (to === from ? '·' : String(row?.get(to) ?? ''))).join(' | ')} |`)
  }
  return lines.join('\n')
}

function sourceFilesOf(edges: readonly ImportEdge[]): string[] {
  return [...new Set(edges.flatMap((e) => (e.local ? [e.from, e.to] : [e.from])))]
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const edges = importGraph()
  console.log(
    `Import graph of src/ between folders (import statements from the row's folder into the column's; ${sourceFiles().length} files, ${edges.filter((e) => e.local).length} local imports):\n`,
  )
  console.log(folderTable(edges))
}
