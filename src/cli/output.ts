import type { CliIo } from './io.js'

/** One command's output: JSON for scripts, or text (tables, colour on a terminal) for people. */
export interface Output {
  json: boolean
  /** Prints `value` as JSON with `--json`, else `text()`. */
  result(value: unknown, text: () => string): void
  /** A line on stderr for people (notes, warnings): never part of what a script parses. */
  note(text: string): void
  /** A table sized to the terminal; `style` colours a cell (after it is cut to fit). */
  table(headers: string[], rows: string[][], style?: (column: number, cell: string) => Style | null): string
  /** Colours `text` on a terminal without NO_COLOR; unchanged otherwise. */
  paint(style: Style, text: string): string
  /** Progress on stderr for long work, shown only on a terminal; `done()` clears it. */
  progress(label: string): { update(count: number): void; done(): void }
}

export type Style = 'bold' | 'dim' | 'green' | 'red' | 'yellow' | 'cyan'
const CODES: Record<Style, [number, number]> = { bold: [1, 22], dim: [2, 22], green: [32, 39], red: [31, 39], yellow: [33, 39], cyan: [36, 39] }

/** Colour only on a terminal, and never when NO_COLOR is set to anything (https://no-color.org). */
export function colourEnabled(io: CliIo): boolean {
  return io.isTTY && !io.env.NO_COLOR && io.env.TERM !== 'dumb'
}

export function createOutput(io: CliIo, json: boolean): Output {
  const colour = colourEnabled(io)
  const paint = (style: Style, text: string) => (colour && text !== '' ? `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : text)
  return {
    json,
    result(value, text) {
      io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`)
    },
    note(text) {
      io.stderr.write(`${text}\n`)
    },
    table: (headers, rows, style) => renderTable(headers, rows, { width: io.columns, paint, ...(style ? { style } : {}) }),
    paint,
    progress(label) {
      if (!io.stderrIsTTY) return { update: () => undefined, done: () => undefined }
      let shown = false
      return {
        update(count) {
          shown = true
          io.stderr.write(`\r${label}: ${count}\u001b[K`)
        },
        done() {
          if (shown) io.stderr.write('\r\u001b[K')
        },
      }
    },
  }
}

/** Width of `text` as a terminal shows it: without colour codes. */
function visible(text: string): number {
  return [...text.replace(/\u001b\[[0-9;]*m/g, '')].length
}

/** `text` cut to `width` characters with an ellipsis: a table never wraps. */
export function truncate(text: string, width: number): string {
  const chars = [...text]
  if (chars.length <= width) return text
  return width <= 1 ? '…'.slice(0, width) : `${chars.slice(0, width - 1).join('')}…`
}

/**
 * A table: a header, columns padded to their widest cell. Given a terminal `width`, the widest
 * columns are cut (with an ellipsis) until the row fits; the first column (an id) is never cut.
 */
export function renderTable(
  headers: string[],
  rows: string[][],
  options: { width?: number | undefined; paint?: (style: Style, text: string) => string; style?: (column: number, cell: string) => Style | null } = {},
): string {
  const clean = rows.map((row) => headers.map((_, i) => (row[i] ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ')))
  const widths = headers.map((h, i) => Math.max(h.length, ...clean.map((r) => [...(r[i] as string)].length)))
  const gap = 2
  if (options.width !== undefined && options.width > 0) {
    const total = () => widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1)
    while (total() > options.width) {
      let widest = -1
      for (let i = 1; i < widths.length; i++)
        if ((widths[i] as number) > Math.max(headers[i]?.length ?? 0, 6) && (widest < 0 || (widths[i] as number) > (widths[widest] as number))) widest = i
      if (widest < 0) break
      widths[widest] = (widths[widest] as number) - 1
    }
  }
  const paint = options.paint ?? ((_s: Style, t: string) => t)
  const line = (cells: string[], header: boolean) =>
    cells
      .map((cell, i) => {
        const cut = truncate(cell, widths[i] as number)
        const padding = ' '.repeat(Math.max(0, (widths[i] as number) - visible(cut)))
        const style = header ? 'bold' : (options.style?.(i, cell) ?? null)
        return style ? paint(style, cut) + padding : cut + padding
      })
      .join(' '.repeat(gap))
      .trimEnd()
  return [line(headers, true), ...clean.map((r) => line(r, false))].join('\n')
}

/** An instant as a table shows it: minutes, UTC; `empty` for null. */
export function when(ms: number | null, empty = '-'): string {
  return ms === null ? empty : new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + 'Z'
}

/** An instant as JSON carries it: ISO 8601, like the GraphQL API's DateTime; null stays null. */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}
