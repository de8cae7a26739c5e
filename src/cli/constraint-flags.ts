// The constraint flags of `token issue` and `token derive` (issue 15): --allow-cidr (repeat),
// --rate-limit <limit>/<window>, --credits <n>, --refill <amount>/<interval>, turned into the
// domain's ConstraintsInput; the domain validates the values and its errors name these flags.
import type { Command } from 'commander'
import type { ConstraintsInput } from '../domain/token-constraints.js'
import { badInput } from '../errors.js'
import { collect } from './options.js'

export interface ConstraintFlags {
  allowCidr?: string[]
  rateLimit?: string
  credits?: string
  refill?: string
}

/** The domain's field names as the flags that set them (for `asFlags`). */
export const CONSTRAINT_FIELDS: Record<string, string> = {
  'constraints.allowedCidrs': '--allow-cidr',
  'constraints.rateLimit': '--rate-limit',
  'constraints.rateLimit.limit': '--rate-limit',
  'constraints.rateLimit.window': '--rate-limit',
  'constraints.credits': '--credits',
  'constraints.credits.remaining': '--credits',
  'constraints.credits.refill.amount': '--refill',
  'constraints.credits.refill.interval': '--refill',
}

/** Adds the constraint flags to `command`. */
export function withConstraintFlags(command: Command): Command {
  return command
    .option('--allow-cidr <range>', 'only from this IPv4/IPv6 address or CIDR range (repeat, or comma-separated)', collect)
    .option('--rate-limit <limit/window>', 'at most <limit> requests per <window>, e.g. 100/1m')
    .option('--credits <n>', 'a balance of requests: each authenticated request spends one')
    .option('--refill <amount/interval>', 'with --credits: top the balance up to <amount> every <interval>, e.g. 100/1d')
}

/** The flags as the domain's input; a flag of the wrong shape is refused naming it. */
export function constraintsOfFlags(flags: ConstraintFlags): ConstraintsInput {
  const input: { -readonly [K in keyof ConstraintsInput]: ConstraintsInput[K] } = {}
  if (flags.allowCidr) input.allowedCidrs = flags.allowCidr
  if (flags.rateLimit !== undefined) {
    const [limit, window] = pair(flags.rateLimit, '--rate-limit', '100/1m')
    input.rateLimit = { limit, window }
  }
  if (flags.refill !== undefined && flags.credits === undefined) throw badInput('--refill', '--refill: needs --credits (the starting balance)')
  if (flags.credits !== undefined) {
    const remaining = whole(flags.credits, '--credits', '1000')
    const refill = flags.refill !== undefined ? pair(flags.refill, '--refill', '100/1d') : null
    input.credits = { remaining, refill: refill ? { amount: refill[0], interval: refill[1] } : null }
  }
  return input
}

function pair(text: string, flag: string, example: string): [number, string] {
  const match = /^(\d+)\/(\S+)$/.exec(text)
  if (!match) throw badInput(flag, `${flag}: ${JSON.stringify(text).slice(0, 60)} is not <count>/<duration> (e.g. ${example})`)
  return [whole(match[1] as string, flag, example), match[2] as string]
}

function whole(text: string, flag: string, example: string): number {
  if (!/^\d{1,16}$/.test(text)) throw badInput(flag, `${flag}: ${JSON.stringify(text).slice(0, 60)} is not a whole number (e.g. ${example})`)
  return Number(text)
}
