import { cidrContains, cidrProblem, parseCidr, type Cidr } from '../cidr.js'
import { badInput, ScopewardError } from '../errors.js'
import { creditsAt } from '../auth/policies/credits.js'
import { parseDuration } from './duration.js'
import type { AppRecord, AppTokenConstraints, ConstraintSet, CreditRefill, TokenConstraints, TokenRecord } from './model.js'

// A token's constraints (issue 15): an IP allowlist, a rate limit and credits. One rule, used by
// issue, derive, updateTokenConstraints and app maxima: constraints only narrow. A set B lies within
// A when each member A sets, B sets at least as narrowly: every CIDR of B inside a CIDR of A; a limit
// no higher over a window no shorter; no more credits, and a refill no larger nor more frequent.

/** The constraints as a caller states them (GraphQL `TokenConstraintsInput`, the CLI's flags). */
export interface ConstraintsInput {
  allowedCidrs?: readonly string[] | null | undefined
  rateLimit?: { limit: number; window: string } | null | undefined
  credits?: { remaining: number; refill?: { amount: number; interval: string } | null | undefined } | null | undefined
}

/** Which member widened, as the error code names it. */
export type WidenedMember = 'allowedCidrs' | 'rateLimit' | 'credits'

const WIDENED_CODE = { allowedCidrs: 'ALLOWLIST_WIDENED', rateLimit: 'RATE_LIMIT_WIDENED', credits: 'CREDITS_WIDENED' } as const

const MAX_CIDRS = 100
const MAX_LIMIT = 1_000_000_000
/** Past 2^53 a balance is no longer an exact number in JavaScript. */
const MAX_CREDITS = Number.MAX_SAFE_INTEGER

/** A refusal naming the member that would widen and what bounds it (`the parent token`, `the app's maximum`). */
export function widened(member: WidenedMember, bound: string, detail: string): ScopewardError {
  return new ScopewardError(WIDENED_CODE[member], `constraints.${member}: ${detail}; it may only narrow ${bound}`, {
    field: `constraints.${member}`,
    details: { constraint: member, bound },
  })
}

/** Validates `input` into a set; `field` prefixes the name in errors (`constraints`, `maximum`). */
export function parseConstraints(input: ConstraintsInput, field = 'constraints'): ConstraintSet {
  const out: ConstraintSet = {}
  if (input.allowedCidrs != null) {
    const list = input.allowedCidrs
    if (list.length === 0) throw badInput(`${field}.allowedCidrs`, `${field}.allowedCidrs: give at least one range, or leave it out for none`)
    if (list.length > MAX_CIDRS) throw badInput(`${field}.allowedCidrs`, `${field}.allowedCidrs: at most ${MAX_CIDRS} ranges`)
    for (const entry of list) {
      const problem = typeof entry === 'string' && entry.length <= 64 ? cidrProblem(entry) : 'is not an IP address or CIDR range'
      if (problem !== null) throw badInput(`${field}.allowedCidrs`, `${field}.allowedCidrs: ${JSON.stringify(entry).slice(0, 80)} ${problem}`)
    }
    out.allowedCidrs = [...new Set(list)]
  }
  if (input.rateLimit != null) {
    const { limit, window } = input.rateLimit
    out.rateLimit = { limit: count(limit, `${field}.rateLimit.limit`, 1, MAX_LIMIT), windowMs: wholeSeconds(window, `${field}.rateLimit.window`) }
  }
  if (input.credits != null) {
    const { remaining, refill } = input.credits
    out.credits = {
      remaining: count(remaining, `${field}.credits.remaining`, 0, MAX_CREDITS),
      refill:
        refill != null
          ? { amount: count(refill.amount, `${field}.credits.refill.amount`, 1, MAX_CREDITS), intervalMs: wholeSeconds(refill.interval, `${field}.credits.refill.interval`) }
          : null,
    }
  }
  return out
}

function count(value: number, field: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw badInput(field, `${field}: must be a whole number from ${min} to ${max}`)
  return value
}

/** A window or interval: whole seconds (a shared limiter counts in seconds), at most 366 days. */
function wholeSeconds(text: string, field: string): number {
  const ms = parseDuration(text, field)
  if (ms % 1000 !== 0) throw badInput(field, `${field}: must be whole seconds`)
  if (ms > 366 * 24 * 3_600_000) throw badInput(field, `${field}: may not exceed 366 days`)
  return ms
}

/** The set a token holds now: its stored constraints with its balance as of `now` (a due refill counted). */
export function constraintsOf(token: TokenRecord, now: number): ConstraintSet {
  const c = token.constraints
  const out: ConstraintSet = {}
  if (c?.allowedCidrs) out.allowedCidrs = c.allowedCidrs
  if (c?.rateLimit) out.rateLimit = c.rateLimit
  const remaining = creditsAt(token, now)
  if (remaining !== null) out.credits = { remaining, refill: c?.credits?.refill ?? null }
  return out
}

/**
 * The stored form of a set, and the balance columns, for a token whose balance is set at `now`.
 * `was`: the token's row before (a change), whose rate-limit window it keeps counting in; a balance
 * set anew is its own (a rotated token's `creditsFrom` ends); a rotated token stays bound by its
 * successor's constraints as well as its new ones (`successor` is kept).
 */
export function storedConstraints(set: ConstraintSet, now: number, was?: TokenRecord): Pick<TokenRecord, 'constraints' | 'creditsRemaining' | 'creditsRefilledAt'> {
  const constraints: TokenConstraints = {}
  if (set.allowedCidrs) constraints.allowedCidrs = set.allowedCidrs
  if (set.rateLimit) constraints.rateLimit = set.rateLimit
  if (set.rateLimit && was?.constraints?.rateLimitKey) constraints.rateLimitKey = was.constraints.rateLimitKey
  if (set.credits) constraints.credits = { refill: set.credits.refill }
  if (was?.constraints?.successor) constraints.successor = was.constraints.successor
  const empty = Object.keys(constraints).length === 0
  return {
    constraints: empty ? null : constraints,
    creditsRemaining: set.credits ? set.credits.remaining : null,
    creditsRefilledAt: set.credits ? now : null,
  }
}

/** `set` with each member `base` sets and `set` does not (a derived token inherits its parent's; an app's defaults fill what an issuer left out). */
export function inheriting(set: ConstraintSet, base: ConstraintSet | null): ConstraintSet {
  if (!base) return set
  return {
    ...(base.allowedCidrs ? { allowedCidrs: base.allowedCidrs } : {}),
    ...(base.rateLimit ? { rateLimit: base.rateLimit } : {}),
    ...(base.credits ? { credits: base.credits } : {}),
    ...set,
  }
}

/** The first member in which `inner` is wider than `outer`, with why; null when `inner` lies within `outer`. */
export function widerMember(inner: ConstraintSet, outer: ConstraintSet): { member: WidenedMember; detail: string } | null {
  if (outer.allowedCidrs) {
    if (!inner.allowedCidrs) return { member: 'allowedCidrs', detail: `an allowlist is required (within ${outer.allowedCidrs.join(', ')})` }
    const ranges = cidrsOf(outer.allowedCidrs)
    const outside = inner.allowedCidrs.filter((entry) => {
      const cidr = parseCidr(entry)
      return cidr === null || !ranges.some((range) => cidrContains(range, cidr))
    })
    if (outside.length > 0) return { member: 'allowedCidrs', detail: `${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not inside ${outer.allowedCidrs.join(', ')}` }
  }
  if (outer.rateLimit) {
    const o = outer.rateLimit
    const i = inner.rateLimit
    if (!i) return { member: 'rateLimit', detail: `a rate limit is required (at most ${o.limit} per ${o.windowMs / 1000} s)` }
    if (i.limit > o.limit || i.windowMs < o.windowMs)
      return {
        member: 'rateLimit',
        detail: `${i.limit} per ${i.windowMs / 1000} s is not within ${o.limit} per ${o.windowMs / 1000} s (a limit no higher over a window no shorter)`,
      }
  }
  if (outer.credits) {
    const o = outer.credits
    const i = inner.credits
    if (!i) return { member: 'credits', detail: `credits are required (at most ${o.remaining})` }
    if (i.remaining > o.remaining) return { member: 'credits', detail: `${i.remaining} credits is more than ${o.remaining}` }
    if (i.refill && !refillWithin(i.refill, o.refill)) {
      return {
        member: 'credits',
        detail: o.refill
          ? `a refill of ${i.refill.amount} every ${i.refill.intervalMs / 1000} s is not within ${o.refill.amount} every ${o.refill.intervalMs / 1000} s`
          : 'a refill is not allowed where the bound has none',
      }
    }
  }
  return null
}

function refillWithin(inner: CreditRefill, outer: CreditRefill | null): boolean {
  return outer !== null && inner.amount <= outer.amount && inner.intervalMs >= outer.intervalMs
}

/** Throws the member's *_WIDENED error when `inner` is wider than `outer`. */
export function assertWithin(inner: ConstraintSet, outer: ConstraintSet | null, bound: string): void {
  if (!outer) return
  const wider = widerMember(inner, outer)
  if (wider) throw widened(wider.member, bound, wider.detail)
}

/**
 * The constraints of a new token of `app`: what the issuer asked, each member it left out taken
 * from `base` (the parent of a derived token) and then from the app's defaults; the result must
 * lie within `base` and within the app's maximum (else the member's *_WIDENED error).
 */
export function constraintsForNewToken(app: AppRecord, asked: ConstraintSet, base: { set: ConstraintSet; bound: string } | null): ConstraintSet {
  const set = inheriting(inheriting(asked, base?.set ?? null), app.tokenConstraints?.defaults ?? null)
  if (base) assertWithin(set, base.set, base.bound)
  assertWithin(set, app.tokenConstraints?.maximum ?? null, `the app's maximum`)
  return set
}

/**
 * `child` narrowed to lie within `parent` (a parent's constraints were narrowed: its descendants
 * follow): CIDRs intersected (ranges are nested or disjoint, so the intersection is the smaller of
 * each nested pair; none left allows no address), a rate limit or refill not within the parent's
 * replaced by it, the balance lowered to the parent's.
 */
export function narrowedTo(child: ConstraintSet, parent: ConstraintSet): ConstraintSet {
  const out: ConstraintSet = { ...child }
  if (parent.allowedCidrs) {
    const mine = child.allowedCidrs ? child.allowedCidrs.map((e) => [e, parseCidr(e)] as const) : null
    const theirs = parent.allowedCidrs.map((e) => [e, parseCidr(e)] as const)
    if (!mine) out.allowedCidrs = parent.allowedCidrs
    else {
      const kept = new Set<string>()
      for (const [me, mc] of mine)
        for (const [te, tc] of theirs) {
          if (!mc || !tc) continue
          if (cidrContains(tc, mc)) kept.add(me)
          else if (cidrContains(mc, tc)) kept.add(te)
        }
      out.allowedCidrs = [...kept]
    }
  }
  if (parent.rateLimit && (!child.rateLimit || widerMember({ rateLimit: child.rateLimit }, { rateLimit: parent.rateLimit }))) out.rateLimit = parent.rateLimit
  if (parent.credits) {
    const c = child.credits ?? parent.credits
    out.credits = {
      remaining: Math.min(c.remaining, parent.credits.remaining),
      refill: c.refill && refillWithin(c.refill, parent.credits.refill) ? c.refill : parent.credits.refill,
    }
  }
  return out
}

/** Two sets alike (for leaving a descendant unwritten). */
export function sameConstraints(a: ConstraintSet, b: ConstraintSet): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
}

function canonical(set: ConstraintSet): unknown {
  return [set.allowedCidrs ?? null, set.rateLimit ?? null, set.credits ?? null]
}

function cidrsOf(entries: readonly string[]): Cidr[] {
  return entries.map(parseCidr).filter((c): c is Cidr => c !== null)
}

/** An app's rules as a caller states them (GraphQL `AppTokenConstraintsInput`). */
export interface AppConstraintsInput {
  defaults?: ConstraintsInput | null | undefined
  maximum?: ConstraintsInput | null | undefined
}

/**
 * Validates an app's rules: each member its defaults set must lie within the same member of its
 * maximum (a member the defaults leave out but the maximum requires makes every token state it).
 * With `current` (the app's rules now) and `mayWiden` false, the new maximum must lie within the
 * current one: an app's own tokens tighten it, only the root app (or the operator) loosens it.
 */
export function parseAppConstraints(input: AppConstraintsInput | null, current: AppTokenConstraints | null, mayWiden: boolean): AppTokenConstraints | null {
  const defaults = input?.defaults != null ? parseConstraints(input.defaults, 'tokenConstraints.defaults') : null
  const maximum = input?.maximum != null ? parseConstraints(input.maximum, 'tokenConstraints.maximum') : null
  if (defaults && maximum) {
    const shared: ConstraintSet = {
      ...(defaults.allowedCidrs && maximum.allowedCidrs ? { allowedCidrs: maximum.allowedCidrs } : {}),
      ...(defaults.rateLimit && maximum.rateLimit ? { rateLimit: maximum.rateLimit } : {}),
      ...(defaults.credits && maximum.credits ? { credits: maximum.credits } : {}),
    }
    assertWithin(defaults, shared, `the app's maximum`)
  }
  if (!mayWiden && current?.maximum) assertWithin(maximum ?? {}, current.maximum, `the app's current maximum (only root-app tokens may loosen it)`)
  return defaults || maximum ? { defaults, maximum } : null
}
