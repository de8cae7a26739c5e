import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Route } from './route.js'
import { SECURITY_HEADERS, sendJson } from './respond.js'

/**
 * The console's Content-Security-Policy: everything from this origin only, no inline script, no
 * eval, no framing. Styles are files too (React sets `style` through the CSSOM, which CSP allows);
 * images may be data: URIs (GraphiQL's icons).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** The page paths of the single-page app: each answers index.html, the app routes from there. */
export const CONSOLE_PAGES = ['', 'tokens', 'token', 'issue', 'least-privilege', 'apps', 'audit', 'keys', 'explorer'] as const

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
}
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt'])

interface Asset {
  body: Buffer
  gzip: Buffer | null
  type: string
  immutable: boolean
}

function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (name.startsWith('.')) continue
    if (statSync(path).isDirectory()) out.push(...filesUnder(path))
    else out.push(path)
  }
  return out
}

/**
 * The route of one built file, read (and gzipped) on its first request and kept: a server that only
 * answers API calls never holds the console's ~2 MB (bench/RESULTS.md, "Round 4: memory"). Null for a
 * file of a type not served.
 */
function assetRoute(path: string, immutable: boolean): Route | null {
  const type = TYPES[extname(path)]
  if (type === undefined) return null
  let asset: Asset | undefined
  return (req, res) => {
    if (asset === undefined) {
      const body = readFileSync(path)
      asset = { body, gzip: COMPRESSIBLE.has(extname(path)) && body.length > 1024 ? gzipSync(body) : null, type, immutable }
    }
    send(req, res, asset)
  }
}

function send(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const gzip = asset.gzip !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
  const body = gzip ? (asset.gzip as Buffer) : asset.body
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-security-policy': CONSOLE_CSP,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    // Hashed file names change with their content: cache them for a year; the page itself is revalidated every time.
    'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'content-type': asset.type,
    'content-length': body.length,
    vary: 'Accept-Encoding',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  })
  res.end(body)
}

/**
 * The console's routes: one exact GET route per built file under `dir` (dist/console) and one per
 * page path, the files listed at start (each read on its first request). Nothing is looked up on disk
 * from a request's path, so no path can reach outside the build. When the console is not built, its pages answer 503 naming the fix.
 */
export function consoleRoutes(dir: string): [path: string, route: Route][] {
  const routes: [string, Route][] = []
  const index = join(dir, 'index.html')
  if (!existsSync(index)) {
    const notBuilt: Route = (_req, res) => sendJson(res, 503, { error: 'console_not_built', error_description: 'the console is not built: run `npm run build`' })
    for (const page of CONSOLE_PAGES) routes.push([`/console/${page}`, notBuilt])
    return routes
  }
  for (const file of filesUnder(dir)) {
    const rel = relative(dir, file).split(sep).join('/')
    if (rel === 'index.html') continue
    const route = assetRoute(file, rel.startsWith('assets/'))
    if (route) routes.push([`/console/${rel}`, route])
  }
  const servePage = assetRoute(index, false) as Route
  for (const path of CONSOLE_PAGES) routes.push([`/console/${path}`, servePage])
  return routes
}

/** GET / and GET /console: to the console's front page. */
export const redirectToConsole: Route = (_req, res) => {
  res.writeHead(302, { ...SECURITY_HEADERS, location: '/console/', 'content-length': 0 })
  res.end()
}
