import { useEffect, useRef, useState, type FormEvent } from 'react'
import { request } from '../api'
import type { Caller } from '../app'
import {
  DeriveTokenDocument,
  RevocationPreviewDocument,
  RevokeTokenDocument,
  RotateTokenDocument,
  TokenAuditDocument,
  TokenPageDocument,
  TokenUsageDocument,
  type RevocationPreviewQuery,
} from '../gql/graphql'
import { useTokenEvents } from '../live'
import { closeScopes, constraintsInput, EMPTY_CONSTRAINTS, formatTime, toggled, usageSeries } from '../logic'
import { UsageChart } from './chart'
import { linkHandler } from '../router'
import { errorText, ScopeList, Status, useQuery } from './common'
import { SecretOnce } from './issue'
import { ConstraintsFacts, ConstraintsFields } from './constraints'

function TokenLink({ token }: { token: { id: string; name: string; status?: string } | null }) {
  if (!token) return <span className="muted">none</span>
  const href = `/console/token?id=${encodeURIComponent(token.id)}`
  return (
    <>
      <a href={href} onClick={linkHandler(href)}>
        {token.name}
      </a>{' '}
      <code className="muted">{token.id}</code> {token.status && <Status value={token.status} />}
    </>
  )
}

export function TokenPage({ caller, id }: { caller: Caller; id: string }) {
  const usage = useQuery(() => (caller.can.readTokens ? request(TokenUsageDocument, { id }) : Promise.resolve(null)), [id])
  // usageByDay writes the usage held in memory first: read the token after it, so last use and used scopes agree with the chart.
  const page = useQuery(() => (usage.loading ? new Promise<never>(() => undefined) : request(TokenPageDocument, { id })), [id, usage.loading])
  const audit = useQuery(() => (caller.can.readAudit ? request(TokenAuditDocument, { id }) : Promise.resolve(null)), [id])
  // Live: an event about this token (revoked, rotated, trimmed, expiring) reloads it and its history.
  useTokenEvents(() => {
    page.reload()
    audit.reload()
  }, id)
  const [revoking, setRevoking] = useState(false)
  const [rotated, setRotated] = useState<{ secret: string; id: string } | null>(null)
  const [error, setError] = useState<string | null>(null)

  if (page.error)
    return (
      <p role="alert" className="error">
        {page.error}
      </p>
    )
  if (!page.data) return <p aria-busy="true">Loading…</p>
  const t = page.data.token
  if (!t)
    return (
      <p role="alert" className="error">
        No token {id} (or it is outside what your token may see).
      </p>
    )

  const rotate = async () => {
    setError(null)
    try {
      const grace = (document.getElementById('grace') as HTMLSelectElement).value
      const data = await request(RotateTokenDocument, { id: t.id, ...(grace ? { gracePeriod: grace } : {}) })
      setRotated({ secret: data.rotateToken.secret, id: data.rotateToken.token.id })
      page.reload()
    } catch (e) {
      setError(errorText(e))
    }
  }

  return (
    <section aria-labelledby="token-title">
      <div className="title-row">
        <h1 id="token-title">{t.name}</h1>
        <Status value={t.status} />
        {caller.can.writeTokens && t.status === 'ACTIVE' && (
          <button type="button" className="danger" onClick={() => setRevoking(true)}>
            Revoke
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {rotated && <SecretOnce secret={rotated.secret} note={`The successor ${rotated.id} replaces this token.`} />}
      {t.description && <p className="description">{t.description}</p>}
      <dl className="facts">
        <dt>Id</dt>
        <dd>
          <code>{t.id}</code>
        </dd>
        <dt>App</dt>
        <dd>{t.app.name}</dd>
        <dt>Kind</dt>
        <dd>{t.kind}</dd>
        <dt>Subject</dt>
        <dd>{t.subject ?? <span className="muted">none</span>}</dd>
        <dt>Created</dt>
        <dd>{formatTime(t.createdAt)}</dd>
        <dt>Expires</dt>
        <dd>{t.expiresAt ? formatTime(t.expiresAt) : 'never'}</dd>
        <dt>Last used</dt>
        <dd>{formatTime(t.lastUsedAt)}</dd>
        {t.revokedAt && (
          <>
            <dt>Revoked</dt>
            <dd>
              {formatTime(t.revokedAt)}
              {t.revokeReason ? `: ${t.revokeReason}` : ''}
            </dd>
          </>
        )}
      </dl>
      <h2>Scopes</h2>
      <dl className="facts">
        <dt>Granted</dt>
        <dd>
          <ScopeList scopes={t.scopes} label="Granted scopes" />
        </dd>
        <dt>Used</dt>
        <dd>
          <ScopeList scopes={t.usedScopes} label="Used scopes" />
        </dd>
        <dt>Never used</dt>
        <dd>
          <ScopeList scopes={t.unusedScopes} label="Unused scopes" />
        </dd>
      </dl>
      <h2>Constraints</h2>
      <ConstraintsFacts token={t} />
      <h2>Requests per day</h2>
      {usage.error && (
        <p role="alert" className="error">
          {usage.error}
        </p>
      )}
      {usage.data?.token?.usageByDay &&
        (() => {
          const series = usageSeries(usage.data.token.usageByDay, 30, Date.now())
          return series.scopes.length === 0 ? (
            <p className="muted">No scope used in the last 30 days (requests that need no scope, such as reading the token itself, count only in “Last used”).</p>
          ) : (
            <UsageChart days={series.days} scopes={series.scopes} title={`Requests per day over the last 30 days, per scope, of ${t.name}`} />
          )
        })()}
      <h2>Family</h2>
      <dl className="facts">
        <dt>Derived from</dt>
        <dd>
          <TokenLink token={t.parent} />
        </dd>
        <dt>Issued by</dt>
        <dd>
          <TokenLink token={t.createdBy} />
        </dd>
        <dt>Derived tokens</dt>
        <dd>
          {(t.derivedTokens ?? []).length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <ul>
              {(t.derivedTokens ?? []).map((c) => (
                <li key={c.id}>
                  <TokenLink token={c} />
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
      {caller.can.writeTokens && t.status === 'ACTIVE' && (
        <>
          <h2>Rotate</h2>
          <div className="inline-form">
            <label htmlFor="grace">Grace period for the old secret</label>
            <select id="grace" defaultValue="">
              <option value="">None: the old secret stops at once</option>
              <option value="PT1H">1 hour</option>
              <option value="PT24H">24 hours</option>
            </select>
            <button type="button" onClick={() => void rotate()}>
              Rotate
            </button>
          </div>
        </>
      )}
      {t.id === caller.viewer.id && t.status === 'ACTIVE' && <DeriveForm parentScopes={t.scopes} implies={caller.implies} onDerived={() => page.reload()} />}
      {audit.data && (
        <>
          <h2>Audit trail</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {audit.data.auditEvents.edges.map(({ node }) => (
                <tr key={node.id}>
                  <td>{formatTime(node.at)}</td>
                  <td>{node.action}</td>
                  <td>
                    <code>{node.actor ?? 'command line'}</code>
                  </td>
                  <td>
                    <code className="details">{JSON.stringify(node.details)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {revoking && (
        <RevokeDialog
          id={t.id}
          name={t.name}
          onClose={(done) => {
            setRevoking(false)
            if (done) {
              page.reload()
              audit.reload()
            }
          }}
        />
      )}
    </section>
  )
}

type Preview = RevocationPreviewQuery['revocationPreview']

/** A modal dialog listing what the cascade will revoke (a dry run), asking for a reason. */
function RevokeDialog({ id, name, onClose }: { id: string; name: string; onClose: (revoked: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null)
  const [preview, setPreview] = useState<Preview | null>(null)
  const [reason, setReason] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    if (ref.current && !ref.current.open) ref.current.showModal()
    request(RevocationPreviewDocument, { id }).then(
      (d) => setPreview(d.revocationPreview),
      (e: unknown) => setError(errorText(e)),
    )
  }, [id])
  const confirm = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await request(RevokeTokenDocument, { id, reason: reason.trim() || null })
      ref.current?.close()
      onClose(true)
    } catch (e) {
      setError(errorText(e))
      setBusy(false)
    }
  }
  return (
    <dialog ref={ref} aria-labelledby="revoke-title" onCancel={() => onClose(false)}>
      <form onSubmit={confirm}>
        <h2 id="revoke-title">Revoke {name}?</h2>
        {!preview && !error && <p aria-busy="true">Listing what will be revoked…</p>}
        {preview && (
          <>
            <p>{preview.length === 1 ? 'This revokes the token at once.' : `This revokes ${preview.length} tokens at once: the token and every token derived from it.`}</p>
            <ul aria-label="Tokens that will be revoked">
              {preview.map((p) => (
                <li key={p.id}>
                  {p.name} <code>{p.id}</code>
                </li>
              ))}
            </ul>
          </>
        )}
        <label htmlFor="revoke-reason">Reason</label>
        <textarea id="revoke-reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="actions">
          <button
            type="button"
            onClick={() => {
              ref.current?.close()
              onClose(false)
            }}
          >
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy || !preview}>
            Revoke token
          </button>
        </div>
      </form>
    </dialog>
  )
}

/**
 * Derives a child of the signed-in token (deriveToken narrows the calling token): a subset of its
 * scopes, a name and description, a lifetime never beyond its own. The secret is shown once.
 */
function DeriveForm({ parentScopes, implies, onDerived }: { parentScopes: string[]; implies: Record<string, string[]>; onDerived: () => void }) {
  const held = [...closeScopes(parentScopes, implies)].sort()
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [scopes, setScopes] = useState<Set<string>>(new Set())
  const [expiresIn, setExpiresIn] = useState('P1D')
  const [constraints, setConstraints] = useState(EMPTY_CONSTRAINTS)
  const [error, setError] = useState<string | null>(null)
  const [derived, setDerived] = useState<{ secret: string; id: string } | null>(null)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(null)
    if (name.trim() === '') return setError('Name is required.')
    if (scopes.size === 0) return setError('Choose at least one scope.')
    const limits = constraintsInput(constraints, 'Derived ')
    if ('problem' in limits) return setError(limits.problem)
    try {
      const data = await request(DeriveTokenDocument, {
        input: {
          name: name.trim(),
          ...(description.trim() ? { description: description.trim() } : {}),
          scopes: [...scopes].sort(),
          expiresIn,
          ...(limits.input ? { constraints: limits.input } : {}),
        },
      })
      setDerived({ secret: data.deriveToken.secret, id: data.deriveToken.token.id })
      setName('')
      setDescription('')
      setScopes(new Set())
      setConstraints(EMPTY_CONSTRAINTS)
      onDerived()
    } catch (e) {
      setError(errorText(e))
    }
  }
  return (
    <>
      <h2>Derive</h2>
      <p className="muted">A child of this token (the one you signed in with): never more scopes, never a longer life, revoked with it.</p>
      {derived && <SecretOnce secret={derived.secret} note={`The derived token is ${derived.id}.`} />}
      <form className="card form" onSubmit={submit} noValidate aria-label="Derive a token">
        <label htmlFor="derive-name">Derived name</label>
        <input id="derive-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="derive-description">Derived description</label>
        <textarea id="derive-description" value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} />
        <fieldset>
          <legend>Derived scopes</legend>
          {held.map((s) => (
            <div key={s} className="check">
              <input type="checkbox" id={`derive-scope-${s}`} checked={scopes.has(s)} onChange={(e) => setScopes(toggled(scopes, s, e.target.checked))} />
              <label htmlFor={`derive-scope-${s}`}>{s}</label>
            </div>
          ))}
        </fieldset>
        <label htmlFor="derive-expires">Derived expires in</label>
        <select id="derive-expires" value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)}>
          <option value="PT1H">1 hour</option>
          <option value="P1D">1 day</option>
          <option value="P7D">7 days</option>
          <option value="P30D">30 days</option>
        </select>
        <ConstraintsFields
          draft={constraints}
          onChange={setConstraints}
          prefix="derive"
          note="A derived token inherits each constraint of this one and may only narrow it; leave a field empty to inherit."
        />
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit">Derive</button>
      </form>
    </>
  )
}
