/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package/area.
 * CLI: node --import tsx bench/profile-summary.ts <file.cpuprofile>
 */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  hitCount?: number
  children?: number[]
}

function area(url: string, root: string): string {
  if (!url) return '(native/VM)'
  const u = url.replace('file://', '')
  const nm = u.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = u.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  if (u.startsWith('node:')) return 'node core'
  if (u.startsWith(root)) {
    const rel = u.slice(root.length + 1)
    return rel.split('/').slice(0, 2).join('/')
  }
  return u
}

export function summarizeProfile(file: string, root: string, top = 35): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  // Self time per node from samples × deltas (more exact than hitCount × interval).
  const self = new Map<number, number>()
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i + 1] ?? 0))
  let total = 0
  let idle = 0
  const fn = new Map<string, number>()
  const pkg = new Map<string, number>()
  for (const [id, us] of self) {
    const n = byId.get(id)!
    const name = n.callFrame.functionName || '(anonymous)'
    if (name === '(idle)') {
      idle += us
      continue
    }
    total += us
    const where = n.callFrame.url ? `${n.callFrame.url.replace('file://' + root + '/', '').replace(/^file:\/\//, '')}:${n.callFrame.lineNumber + 1}` : ''
    const key = `${name} ${where}`.trim()
    fn.set(key, (fn.get(key) ?? 0) + us)
    const a = ['(garbage collector)', '(program)'].includes(name) ? name : area(n.callFrame.url, root)
    pkg.set(a, (pkg.get(a) ?? 0) + us)
  }
  const pct = (us: number) => ((100 * us) / total).toFixed(1)
  const out: string[] = []
  out.push(`Busy (non-idle) time: ${(total / 1e6).toFixed(2)} s; idle ${(idle / 1e6).toFixed(2)} s.`, '')
  out.push('Self time by package / area:', '', '| share | area |', '| ---: | --- |')
  for (const [k, us] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 25)) out.push(`| ${pct(us)} % | ${k} |`)
  out.push('', `Top ${top} functions by self time:`, '', '| share | function (file:line) |', '| ---: | --- |')
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`| ${pct(us)} % | \`${k}\` |`)
  return out.join('\n') + '\n'
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(summarizeProfile(process.argv[2] as string, process.cwd()))
}
