import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The folder holding Scopeward's package.json, found from this file whether run from src/ (tsx) or dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'drizzle'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('scopeward: cannot find the package root (package.json beside drizzle/)')
    dir = parent
  }
  return dir
}
