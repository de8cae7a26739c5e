import { useMemo, useState, type FormEvent } from 'react'
import { request } from '../api'
import type { Caller } from '../app'
import { AppsDocument, IssueTokenDocument, type IssueTokenMutation, type TokenKind } from '../gql/graphql'
import { closeScopes, constraintsInput, EMPTY_CONSTRAINTS, expiryPresets, expiryProblem, grantableScopes, toggled } from '../logic'
import { linkHandler } from '../router'
import { errorText, useQuery } from './common'
import { ConstraintsFields } from './constraints'

interface AppChoice {
  id: string
  name: string
  allowedScopes: string[]
  maxTokenLifetime: string | null
  audiences: string[]
}

/** A secret shown once: a read-only field labelled Secret, a copy button and a warning. */
export function SecretOnce({ secret, note }: { secret: string; note?: string }) {
  const [copied, setCopied] = useState(false)
  return (
    <div className="card secret" role="status">
      <label htmlFor="secret">Secret</label>
      <div className="inline-form">
        <input id="secret" readOnly value={secret} onFocus={(e) => e.target.select()} spellCheck={false} />
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard?.writeText(secret).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="warning">Copy it now: it is shown only this once, and forgotten when you leave this page.{note ? ` ${note}` : ''}</p>
    </div>
  )
}

export function IssuePage({ caller }: { caller: Caller }) {
  const apps = useQuery(async (): Promise<AppChoice[]> => {
    if (caller.can.readApps) return (await request(AppsDocument)).apps.edges.map((e) => e.node).filter((a) => a.disabledAt === null)
    return [{ id: caller.viewer.app.id, name: caller.viewer.app.name, allowedScopes: [...caller.held], maxTokenLifetime: null, audiences: [] }]
  }, [caller])
  const [appId, setAppId] = useState('')
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [scopes, setScopes] = useState<Set<string>>(new Set())
  const [chosenExpiry, setExpiry] = useState('P30D')
  const [custom, setCustom] = useState('')
  const [kind, setKind] = useState<TokenKind>('OPAQUE')
  const [constraints, setConstraints] = useState(EMPTY_CONSTRAINTS)
  const [audience, setAudience] = useState<Set<string>>(new Set())
  const [error, setError] = useState<string | null>(null)
  const [issued, setIssued] = useState<IssueTokenMutation['issueToken'] | null>(null)
  const [busy, setBusy] = useState(false)

  const app = apps.data?.find((a) => a.id === appId) ?? apps.data?.find((a) => a.id === caller.viewer.app.id) ?? apps.data?.[0]
  const rootAdmin = caller.viewer.app.isRoot && caller.held.has('scopes:write')
  const grantable = useMemo(() => (app ? grantableScopes(caller.held, app.allowedScopes, rootAdmin) : []), [app, caller, rootAdmin])
  const presets = expiryPresets(app?.maxTokenLifetime ?? null)
  // A preset beyond the chosen app's ceiling falls back to the longest it allows.
  const expiry = chosenExpiry === 'custom' || presets.some((p) => p.value === chosenExpiry) ? chosenExpiry : (presets[presets.length - 1]?.value ?? 'custom')
  const implied = closeScopes([...scopes], caller.implies)

  if (issued) {
    const href = `/console/token?id=${encodeURIComponent(issued.token.id)}`
    return (
      <section aria-labelledby="issued-title">
        <h1 id="issued-title">Token issued</h1>
        <p>
          <a href={href} onClick={linkHandler(href)}>
            {issued.token.name}
          </a>{' '}
          <code>{issued.token.id}</code>, scopes {issued.token.scopes.join(', ')}.
        </p>
        <SecretOnce secret={issued.secret} />
        <button
          type="button"
          onClick={() => {
            setIssued(null)
            setName('')
            setDescription('')
            setScopes(new Set())
            setConstraints(EMPTY_CONSTRAINTS)
            setAudience(new Set())
          }}
        >
          Issue another
        </button>
      </section>
    )
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(null)
    if (!app) return setError('Choose an app.')
    if (name.trim() === '') return setError('Name is required.')
    if (scopes.size === 0) return setError('Choose at least one scope.')
    const expiresIn = expiry === 'custom' ? custom.trim() : expiry
    const problem = expiryProblem(expiresIn, app.maxTokenLifetime)
    if (problem) return setError(problem)
    const limits = constraintsInput(constraints, '')
    if ('problem' in limits) return setError(limits.problem)
    const audiences = kind === 'JWT' ? app.audiences.filter((a) => audience.has(a)) : []
    setBusy(true)
    try {
      const data = await request(IssueTokenDocument, {
        input: {
          appId: app.id,
          name: name.trim(),
          ...(description.trim() ? { description: description.trim() } : {}),
          scopes: [...scopes].sort(),
          expiresIn,
          kind,
          ...(limits.input ? { constraints: limits.input } : {}),
          ...(audiences.length > 0 ? { audience: audiences } : {}),
        },
      })
      setIssued(data.issueToken)
    } catch (e) {
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-labelledby="issue-title">
      <h1 id="issue-title">Issue token</h1>
      {apps.error && (
        <p role="alert" className="error">
          {apps.error}
        </p>
      )}
      <form className="card form" onSubmit={submit} noValidate>
        <label htmlFor="issue-app">App</label>
        <select
          id="issue-app"
          value={app?.id ?? ''}
          onChange={(e) => {
            setAppId(e.target.value)
            setScopes(new Set())
          }}
        >
          {apps.data?.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
        <label htmlFor="issue-name">Name</label>
        <input id="issue-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="issue-description">Description</label>
        <textarea id="issue-description" value={description} maxLength={500} placeholder="What the token is for (optional)" onChange={(e) => setDescription(e.target.value)} />
        <fieldset>
          <legend>Scopes</legend>
          {grantable.length === 0 && <p className="muted">You can grant no scope of this app.</p>}
          {grantable.map((s) => {
            const viaOther = !scopes.has(s) && implied.has(s)
            return (
              <div key={s} className="check">
                <input type="checkbox" id={`scope-${s}`} checked={scopes.has(s)} onChange={(e) => setScopes(toggled(scopes, s, e.target.checked))} />
                <label htmlFor={`scope-${s}`}>{s}</label>
                {(caller.implies[s]?.length ?? 0) > 0 && <span className="muted"> implies {caller.implies[s]?.join(', ')}</span>}
                {viaOther && <span className="muted"> (implied by your choice)</span>}
              </div>
            )
          })}
        </fieldset>
        <label htmlFor="issue-expiry">Expires in</label>
        <select id="issue-expiry" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
          {presets.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
          <option value="custom">Custom…</option>
        </select>
        {app?.maxTokenLifetime && <p className="help">This app's tokens live at most {app.maxTokenLifetime}.</p>}
        {expiry === 'custom' && (
          <>
            <label htmlFor="issue-custom">Custom lifetime (ISO 8601, e.g. P14D)</label>
            <input id="issue-custom" value={custom} onChange={(e) => setCustom(e.target.value)} />
          </>
        )}
        <fieldset>
          <legend>Kind</legend>
          <div className="check">
            <input type="radio" id="kind-opaque" name="kind" checked={kind === 'OPAQUE'} onChange={() => setKind('OPAQUE')} />
            <label htmlFor="kind-opaque">Opaque</label>
          </div>
          <div className="check">
            <input type="radio" id="kind-jwt" name="kind" checked={kind === 'JWT'} onChange={() => setKind('JWT')} />
            <label htmlFor="kind-jwt">JWT</label>
          </div>
        </fieldset>
        {kind === 'JWT' && app && app.audiences.length > 0 && (
          <fieldset>
            <legend>Audience</legend>
            <p className="help">The resources (RFC 8707) the JWT is for; none chosen: Scopeward’s own API.</p>
            {app.audiences.map((a) => (
              <div key={a} className="check">
                <input type="checkbox" id={`audience-${a}`} checked={audience.has(a)} onChange={(e) => setAudience(toggled(audience, a, e.target.checked))} />
                <label htmlFor={`audience-${a}`}>{a}</label>
              </div>
            ))}
          </fieldset>
        )}
        <ConstraintsFields
          draft={constraints}
          onChange={setConstraints}
          prefix="issue"
          note="Checked on every request the token makes. Leave a field empty for no such limit (the app's defaults may still apply)."
        />
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Issue
        </button>
      </form>
    </section>
  )
}
