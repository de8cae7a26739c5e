import { Command, CommanderError } from 'commander'
import { ScopewardError } from '../errors.js'
import { redactSecrets } from '../text.js'
import { appCommands } from './commands/app.js'
import { auditCommands } from './commands/audit.js'
import { clientSecretCommands } from './commands/client-secret.js'
import { completionCommand } from './commands/completion.js'
import { keysCommands } from './commands/keys.js'
import { lifecycleCommands } from './commands/lifecycle.js'
import { reportCommand } from './commands/report.js'
import { scopeCommands } from './commands/scope.js'
import { tokenCommands } from './commands/token.js'
import { webhookCommands } from './commands/webhook.js'
import type { CliIo } from './io.js'
import { DEFAULTS } from '../config.js'

/** Exit codes: 0 done, 1 an error (on stderr), 2 a usage error (bad command, flag or value). */
export const EXIT = { OK: 0, ERROR: 1, USAGE: 2 } as const

/** The `scopeward` program, built fresh for each run (commander keeps parsed values on it). */
export function buildProgram(io: CliIo, writeErr: (text: string) => void): Command {
  const program = new Command('scopeward')
    .description(`Scopeward: a GraphQL authorization server for API tokens.\nEvery command takes --db (default: $SCOPEWARD_DB, else ${DEFAULTS.db}) and --json.`)
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    // Usage errors echo arguments: a secret pasted in the wrong place is not printed back.
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => writeErr(redactSecrets(text)),
      getOutHelpWidth: () => io.columns ?? 100,
      getErrHelpWidth: () => io.columns ?? 100,
    })
  // Subcommands are created on their own: give each the program's settings, recursively.
  const adopt = (command: Command) => {
    command.copyInheritedSettings(program)
    for (const sub of command.commands) adopt(sub)
    return command
  }
  for (const command of [
    ...lifecycleCommands(io),
    tokenCommands(io),
    appCommands(io),
    scopeCommands(io),
    clientSecretCommands(io),
    keysCommands(io),
    auditCommands(io),
    webhookCommands(io),
    reportCommand(io),
    completionCommand(io, () => program),
  ]) {
    program.addCommand(adopt(command))
  }
  return program
}

/**
 * Runs the command line on `argv` (the arguments after the program name) with `io`, and returns
 * the exit code. Nothing here touches process globals: tests run it in process, main.ts runs it
 * for the real process.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const end = argv.indexOf('--')
  const json = (end === -1 ? argv : argv.slice(0, end)).includes('--json')
  // Commander's own messages (usage errors) are held back so that `--json` can turn them into JSON.
  let usage = ''
  const program = buildProgram(io, (text) => {
    if (json) usage += text
    else io.stderr.write(text)
  })
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return EXIT.OK
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.OK
      if (json) writeJsonError(io, 'USAGE', firstLine(usage || error.message))
      return EXIT.USAGE
    }
    const scoped = error instanceof ScopewardError ? error : null
    const message = redactSecrets(scoped ? scoped.message : ((error as Error)?.message ?? String(error)))
    if (json) writeJsonError(io, scoped?.code ?? 'INTERNAL_ERROR', message, scoped?.field, scoped?.details)
    else io.stderr.write(`scopeward: ${message}\n`)
    return EXIT.ERROR
  }
}

function firstLine(text: string): string {
  return (
    text
      .replace(/^error: /, '')
      .split('\n')
      .filter(Boolean)[0] ?? 'usage error'
  )
}

/** An error as `--json` prints it on stderr: `{"error": {"code", "message", "field"?, "details"?}}`. */
function writeJsonError(io: CliIo, code: string, message: string, field?: string, details?: Record<string, unknown>): void {
  const error = { code, message, ...(field ? { field } : {}), ...(details ? { details } : {}) }
  io.stderr.write(`${JSON.stringify({ error })}\n`)
}
