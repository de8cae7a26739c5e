import type { TokenPageQuery } from '../gql/graphql'
import { durationWords, formatTime, type ConstraintsDraft } from '../logic'

/**
 * The allowlist, rate limit and credit inputs of the issue and derive forms, in a fieldset. `prefix`
 * tells the two forms' ids and labels apart; `note` says what an empty field means.
 */
export function ConstraintsFields({ draft, onChange, prefix, note }: { draft: ConstraintsDraft; onChange: (d: ConstraintsDraft) => void; prefix: string; note: string }) {
  const id = (name: string) => `${prefix}-${name}`
  const field = (name: keyof ConstraintsDraft) => ({
    id: id(name),
    value: draft[name],
    onChange: (e: { target: { value: string } }) => onChange({ ...draft, [name]: e.target.value }),
  })
  const label = prefix === 'derive' ? 'Derived ' : ''
  const text = (s: string) => (label ? `${label}${s}` : s.charAt(0).toUpperCase() + s.slice(1))
  return (
    <fieldset className="stack">
      <legend>{text('constraints')}</legend>
      <p className="help">{note}</p>
      <label htmlFor={id('cidrs')}>{text('allowed addresses (CIDR ranges, one per line)')}</label>
      <textarea {...field('cidrs')} placeholder="10.0.0.0/8" spellCheck={false} />
      <label htmlFor={id('rateLimit')}>{text('rate limit (requests)')}</label>
      <input {...field('rateLimit')} inputMode="numeric" placeholder="100" />
      <label htmlFor={id('rateWindow')}>{text('rate limit window')}</label>
      <input {...field('rateWindow')} placeholder="1m" />
      <label htmlFor={id('credits')}>{text('credits')}</label>
      <input {...field('credits')} inputMode="numeric" placeholder="1000" />
      <label htmlFor={id('refillAmount')}>{text('refill to')}</label>
      <input {...field('refillAmount')} inputMode="numeric" placeholder="optional" />
      <label htmlFor={id('refillInterval')}>{text('refill every')}</label>
      <input {...field('refillInterval')} placeholder="1d" />
    </fieldset>
  )
}

type Shown = NonNullable<TokenPageQuery['token']>

/** A token's constraints with their state now (credits left, the rate-limit window) and its audiences, for the token page. */
export function ConstraintsFacts({ token }: { token: Pick<Shown, 'constraints' | 'audiences' | 'kind'> }) {
  const c = token.constraints
  return (
    <dl className="facts" aria-label="Constraints">
      <dt>Allowed addresses</dt>
      <dd>{c?.allowedCidrs ? c.allowedCidrs.map((r) => <code key={r}>{r} </code>) : <span className="muted">any</span>}</dd>
      <dt>Rate limit</dt>
      <dd>
        {c?.rateLimit ? (
          <>
            {c.rateLimit.limit} per {durationWords(c.rateLimit.window)}
            {c.rateLimit.remaining !== null && c.rateLimit.remaining !== undefined && (
              <span className="muted">
                {' '}
                ({c.rateLimit.remaining} left in this window, resets in {c.rateLimit.reset} s)
              </span>
            )}
          </>
        ) : (
          <span className="muted">none</span>
        )}
      </dd>
      <dt>Credits</dt>
      <dd>
        {c?.credits ? (
          <>
            {c.credits.remaining} left
            {c.credits.refill && (
              <span className="muted">
                {' '}
                (refilled to {c.credits.refill.amount} every {durationWords(c.credits.refill.interval)}
                {c.credits.nextRefillAt ? `, next ${formatTime(c.credits.nextRefillAt)}` : ''})
              </span>
            )}
          </>
        ) : (
          <span className="muted">unlimited</span>
        )}
      </dd>
      <dt>Audiences</dt>
      <dd>{token.audiences && token.audiences.length > 0 ? token.audiences.map((a) => <code key={a}>{a} </code>) : <span className="muted">Scopeward’s own</span>}</dd>
    </dl>
  )
}
