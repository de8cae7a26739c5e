/**
 * Compiles a checkout's src/ and bench/ with tsc into a temporary folder, so that bench servers run
 * as `npm start` runs Scopeward: plain `node` on compiled JavaScript, no tsx (tsx keeps each module it
 * compiles, and its source map, in memory, which inflates startup and RSS, more so for a server of
 * ~200 modules than for one of five).
 *
 * Layout of `<into>`: `src/` and `bench/` compiled as tsc lays them out (rootDir = the checkout), so
 * `bench/servers/X.js` finds `../../src/….js`; and links to the checkout's `package.json` (its
 * `"type": "module"`), `node_modules`, `drizzle/`, `schema/` and `dist/` (built console, when there
 * is one), so that `packageRoot()` (src/package-root.ts) stops at `<into>` and finds the migrations,
 * the SDL and the console where it finds them from dist/src/.
 * The caller removes `<into>` (it is a folder of its own under the system's temporary folder).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'

const LINKED = ['package.json', 'node_modules', 'drizzle', 'schema', 'dist']

export function compileCheckout(checkout: string, into: string): void {
  const root = resolve(checkout)
  for (const name of LINKED) if (existsSync(join(root, name))) symlinkSync(join(root, name), join(into, name))
  // A tsconfig of its own (in `into`, not in the checkout): the checkout's compiler options, only src/ and bench/, emitted without source maps.
  const tsconfig = join(into, 'tsconfig.bench.json')
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      compilerOptions: { noEmit: false, sourceMap: false, declaration: false, rootDir: root, outDir: into, tsBuildInfoFile: null, incremental: false },
      include: [join(root, 'src'), join(root, 'bench')],
    }),
  )
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
  try {
    execFileSync(process.execPath, [tsc, '-p', tsconfig], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer }
    throw new Error(`tsc could not compile ${root} for the bench:\n${String(err.stdout ?? '')}${String(err.stderr ?? '')}`)
  }
}
