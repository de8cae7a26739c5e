// Issue 13: the console is served by the server itself, at /console/, with a strict CSP and cache
// headers; nothing outside the build is reachable through its paths.
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { consoleRoutes } from '../../src/http/console-route.js'
import { startServer, type TestServer } from './harness.js'

const built = existsSync(join(import.meta.dirname, '..', '..', 'dist', 'console', 'index.html'))
if (!built) console.log('# the console is not built: run `npm run build:console` (npm test does it first)')

let server: TestServer
before(async () => {
  server = await startServer()
})
after(async () => {
  await server.stop()
})

/** A GET with the path sent exactly as written (fetch would normalise dot segments away). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(server.url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

test('13 GET / and GET /console redirect to /console/', async () => {
  for (const path of ['/', '/console']) {
    const res = await fetch(server.url + path, { redirect: 'manual' })
    assert.equal(res.status, 302, path)
    assert.equal(res.headers.get('location'), '/console/')
  }
})

test('13 the console page: a strict CSP, no inline script, not cached, not frameable', { skip: !built }, async () => {
  for (const path of ['/console/', '/console/tokens', '/console/token?id=abc', '/console/issue', '/console/explorer']) {
    const res = await fetch(server.url + path)
    assert.equal(res.status, 200, path)
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
    const csp = res.headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'self'/)
    assert.match(csp, /script-src 'self'(;|$)/)
    assert.match(csp, /style-src 'self'(;|$)/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/)
    assert.equal(res.headers.get('cache-control'), 'no-cache')
    assert.equal(res.headers.get('x-frame-options'), 'DENY')
    const html = await res.text()
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script is a file')
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from another origin')
  }
})

test('13 hashed assets: cached for a year, immutable, gzip on request, same CSP', { skip: !built }, async () => {
  const html = await (await fetch(`${server.url}/console/`)).text()
  const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1]
  assert.ok(script, 'the page loads a hashed script')
  const plain = await rawGet(script)
  assert.equal(plain.status, 200)
  assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable')
  assert.match(String(plain.headers['content-type']), /^text\/javascript/)
  assert.match(String(plain.headers['content-security-policy']), /script-src 'self'/)
  const zipped = await rawGet(script, { 'accept-encoding': 'gzip' })
  assert.equal(zipped.headers['content-encoding'], 'gzip')
  assert.ok(gunzipSync(zipped.body).equals(plain.body))
})

test('13 unknown console paths are 404 and path traversal reaches nothing outside the build', async () => {
  for (const path of [
    '/console/nope',
    '/console/assets/nope.js',
    '/console/../package.json',
    '/console/%2e%2e/package.json',
    '/console/assets/..%2f..%2f..%2fpackage.json',
    '/console/assets/%2e%2e/%2e%2e/%2e%2e/src/config.ts',
    '/console//etc/passwd',
    '/console/.vite/manifest.json',
    '/console/index.html/',
    '/package.json',
  ]) {
    const res = await rawGet(path)
    assert.equal(res.status, 404, path)
    assert.doesNotMatch(res.body.toString('utf8'), /"dependencies"|loadConfig|root:/, path)
  }
})

test('13 the console answers GET only', async () => {
  const res = await fetch(`${server.url}/console/`, { method: 'POST', body: 'x' })
  assert.equal(res.status, 405)
})

test('13 an unbuilt console answers 503 naming the fix, never a stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scopeward-console-'))
  try {
    const routes = consoleRoutes(dir)
    assert.ok(routes.some(([path]) => path === '/console/'))
    let status = 0
    let body = ''
    const res = { writeHead: (s: number) => ((status = s), res), end: (b: string) => (body = b) } as never
    await (routes[0] as [string, (req: never, res: never, rc: never) => Promise<void>])[1]({} as never, res, {} as never)
    assert.equal(status, 503)
    assert.match(body, /npm run build/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('13 (issue 17) a console file is read on its first request, not at start: a server that never serves the console never holds it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scopeward-console-'))
  try {
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>at start</title>')
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'export const at = "start"')
    const routes = new Map(consoleRoutes(dir))
    // Rewritten after the routes were made: what is served is what the file holds at its first request.
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>first request</title>')
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'export const at = "first request"')
    const get = (path: string): { status: number; body: string } => {
      const out = { status: 0, body: '' }
      const res = { writeHead: (status: number) => ((out.status = status), res), end: (body: Buffer) => (out.body = body.toString('utf8')) } as never
      void (routes.get(path) as (req: never, res: never, rc: never) => void)({ headers: {} } as never, res, {} as never)
      return out
    }
    assert.deepEqual(get('/console/'), { status: 200, body: '<!doctype html><title>first request</title>' })
    assert.deepEqual(get('/console/tokens'), { status: 200, body: '<!doctype html><title>first request</title>' })
    assert.deepEqual(get('/console/assets/app-1.js'), { status: 200, body: 'export const at = "first request"' })
    // Read once, then kept.
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'export const at = "later"')
    assert.deepEqual(get('/console/assets/app-1.js'), { status: 200, body: 'export const at = "first request"' })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
