/** Where a command line run reads its settings and writes its output: the process, or a test's buffers. */
export interface CliIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
  /** The environment settings are read from (SCOPEWARD_DB, SCOPEWARD_MASTER_KEY, NO_COLOR, ...). */
  env: Record<string, string | undefined>
  /** Whether stdout is a terminal: colour, and tables sized to it. */
  isTTY: boolean
  /** Whether stderr is a terminal: progress lines for long work. */
  stderrIsTTY?: boolean
  /** The terminal width tables are truncated to; unset: no truncation (a pipe or a file). */
  columns?: number | undefined
}

/** The io of the running process. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  }
}
