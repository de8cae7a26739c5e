// Browser harness: playwright-core driving Debian's Chromium (no browser download) against the real
// server. Records every request (to prove none leaves the origin), CSP violations and page errors.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

const ROOT = join(import.meta.dirname, '..', '..')
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'console')

/** The Chromium to drive: $CHROMIUM_PATH, else Debian's. Null when there is none (the suite then skips, saying so). */
export function chromiumPath(): string | null {
  for (const candidate of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (candidate && existsSync(candidate)) return candidate
  }
  return null
}

export const consoleBuilt = (): boolean => existsSync(join(ROOT, 'dist', 'console', 'index.html'))

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath() as string,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  })
}

export interface Watched {
  context: BrowserContext
  page: Page
  /** Every URL the page requested. */
  requests: string[]
  /** Page errors and console errors (CSP violations are reported there too). */
  errors: string[]
  /** securitypolicyviolation events seen by the page. */
  cspViolations(): Promise<string[]>
}

/** A fresh browser context (no storage shared with other tests) and a page watched for requests, errors and CSP violations. */
export async function watchedPage(browser: Browser): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  // Runs in the page before its own scripts (the driver injects it; the page's CSP does not apply to it).
  await context.addInitScript(() => {
    const page = globalThis as any
    const seen: string[] = []
    page.__csp = seen
    page.document.addEventListener('securitypolicyviolation', (e: any) => seen.push(`${e.violatedDirective} ${e.blockedURI}`))
  })
  const page = await context.newPage()
  const requests: string[] = []
  const errors: string[] = []
  page.on('request', (r) => requests.push(r.url()))
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })
  return {
    context,
    page,
    requests,
    errors,
    cspViolations: () => page.evaluate(() => ((globalThis as any).__csp as string[] | undefined) ?? []),
  }
}

const AXE = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8')

/** axe-core's serious and critical violations on the page as it is (axe is evaluated by the driver, never fetched). */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE)
  const result = await page.evaluate(async () => {
    const page = globalThis as any
    return page.axe.run(page.document, { resultTypes: ['violations'] }) as Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>
  })
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
}
