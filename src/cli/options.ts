import { InvalidArgumentError, Option, type Command } from 'commander'
import { DEFAULTS } from '../config.js'
import { parseDuration } from '../domain/duration.js'
import { ScopewardError } from '../errors.js'

/** `--scope a --scope b,c`: every value, split on commas and spaces. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(/[\s,]+/).filter(Boolean)]

export const dbOption = (): Option => new Option('--db <path>', `SQLite file or postgres:// URL (default: $SCOPEWARD_DB, else ${DEFAULTS.db})`)
export const jsonOption = (): Option => new Option('--json', 'print JSON on stdout (errors as JSON on stderr)')

/** A duration flag: `30d`, `12h`, `15m`, `1h30m` or ISO 8601 (`P30D`); a bad value is a usage error naming the flag. */
export function durationOption(flags: string, description: string): Option {
  const name = flags.split(' ')[0] as string
  return new Option(flags, `${description} (e.g. 30d, 12h, 15m, P30D)`).argParser((value: string) => {
    try {
      parseDuration(value, name)
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message)
    }
    return value
  })
}

/** An option with fixed choices, matched case-insensitively and passed on in their canonical spelling. */
export function choiceOption(flags: string, description: string, choices: readonly string[]): Option {
  const option = new Option(flags, description).choices(choices)
  return option.argParser((value: string) => {
    const match = choices.find((c) => c.toLowerCase() === value.toLowerCase())
    if (match === undefined) throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`)
    return match
  })
}

/** Adds an "Examples:" section to a command's --help. */
export function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`)
}

/**
 * Runs `work`, renaming the domain's input fields in its errors to the flags the user typed
 * (`expiresIn: ...` becomes `--expires-in: ...`): an error names what the operator can change.
 */
export async function asFlags<T>(fields: Record<string, string>, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (!(error instanceof ScopewardError) || error.field === undefined) throw error
    const flag = fields[error.field]
    if (flag === undefined) throw error
    const message = error.message.startsWith(`${error.field}:`) ? `${flag}:${error.message.slice(error.field.length + 1)}` : `${flag}: ${error.message}`
    throw new ScopewardError(error.code, message, { field: flag, ...(error.details ? { details: error.details } : {}) })
  }
}
