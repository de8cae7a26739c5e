import { useEffect, useRef, useState } from 'react'
import { request } from '../api'
import type { Caller } from '../app'
import { LifetimesDocument, OverPermissionedDocument, TrimTokenDocument, type TrimTokenMutation } from '../gql/graphql'
import { expiringWithin, expiryWeeks, formatTime, trimDiff } from '../logic'
import { linkHandler } from '../router'
import { BarChart } from './chart'
import { errorText, ScopeList, useQuery } from './common'

const WINDOWS = [
  { label: '1 day', value: 'P1D' },
  { label: '7 days', value: 'P7D' },
  { label: '30 days', value: 'P30D' },
  { label: '90 days', value: 'P90D' },
]

function Name({ token }: { token: { id: string; name: string } }) {
  const href = `/console/token?id=${encodeURIComponent(token.id)}`
  return (
    <a href={href} onClick={linkHandler(href)}>
      {token.name}
    </a>
  )
}

export function LeastPrivilegePage({ caller }: { caller: Caller }) {
  const [unusedFor, setUnusedFor] = useState('P30D')
  const report = useQuery(() => request(OverPermissionedDocument, { unusedFor }), [unusedFor])
  const lifetimes = useQuery(() => request(LifetimesDocument), [])
  const [trimming, setTrimming] = useState<{ id: string; name: string; scopes: string[] } | null>(null)
  const now = Date.now()
  const expiring = lifetimes.data?.expiring.edges.map((e) => e.node) ?? []

  return (
    <section aria-labelledby="lp-title">
      <h1 id="lp-title">Least privilege</h1>
      <h2>Over-permissioned tokens</h2>
      <label className="inline-form">
        Unused for
        <select value={unusedFor} onChange={(e) => setUnusedFor(e.target.value)}>
          {WINDOWS.map((w) => (
            <option key={w.value} value={w.value}>
              {w.label}
            </option>
          ))}
        </select>
      </label>
      {report.error && (
        <p role="alert" className="error">
          {report.error}
        </p>
      )}
      {report.data &&
        (report.data.overPermissionedTokens.edges.length === 0 ? (
          <p className="muted">No token holds more than it used in this window.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">App</th>
                <th scope="col">Holds</th>
                <th scope="col">Never used</th>
                <th scope="col">Keep</th>
                <th scope="col">Last used</th>
                {caller.can.writeTokens && <th scope="col">Action</th>}
              </tr>
            </thead>
            <tbody>
              {report.data.overPermissionedTokens.edges.map(({ node }) => (
                <tr key={node.token.id}>
                  <td>
                    <Name token={node.token} />
                  </td>
                  <td>{node.token.app.name}</td>
                  <td>
                    <ScopeList scopes={node.token.scopes} label={`Scopes of ${node.token.name}`} />
                  </td>
                  <td>
                    <ScopeList scopes={node.unusedScopes} label={`Unused scopes of ${node.token.name}`} />
                  </td>
                  <td>
                    <ScopeList scopes={node.suggestedScopes} label={`Suggested scopes of ${node.token.name}`} />
                  </td>
                  <td>{formatTime(node.token.lastUsedAt)}</td>
                  {caller.can.writeTokens && (
                    <td>
                      <button type="button" aria-label={`Trim ${node.token.name}`} onClick={() => setTrimming(node.token)}>
                        Trim
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {lifetimes.error && (
        <p role="alert" className="error">
          {lifetimes.error}
        </p>
      )}
      {lifetimes.data && (
        <>
          <h2>Lifetimes</h2>
          <div className="charts">
            <BarChart
              title="Active tokens by expiry week (next 12 weeks)"
              bars={expiryWeeks(
                expiring.map((t) => t.expiresAt),
                now,
                12,
              ).map((value, i) => ({ label: `W${i + 1}`, value }))}
            />
            <BarChart
              title="Tokens by status"
              bars={[
                { label: 'Active', value: lifetimes.data.active.totalCount },
                { label: 'Expired', value: lifetimes.data.expired.totalCount },
                { label: 'Revoked', value: lifetimes.data.revoked.totalCount },
                { label: 'Never exp.', value: lifetimes.data.neverExpiringTokens.totalCount },
              ]}
            />
          </div>
          {[7, 30].map((days) => {
            const rows = expiringWithin(expiring, now, days)
            return (
              <div key={days}>
                <h3>
                  Expiring within {days} days ({rows.length})
                </h3>
                {rows.length === 0 ? (
                  <p className="muted">None.</p>
                ) : (
                  <ul>
                    {rows.map((t) => (
                      <li key={t.id}>
                        <Name token={t} /> ({t.app.name}), {formatTime(t.expiresAt)}
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            )
          })}
          <h3>Tokens that never expire ({lifetimes.data.neverExpiringTokens.totalCount})</h3>
          {lifetimes.data.neverExpiringTokens.edges.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul>
              {lifetimes.data.neverExpiringTokens.edges.map(({ node }) => (
                <li key={node.id}>
                  <Name token={node} /> ({node.app.name}), created {formatTime(node.createdAt)}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {trimming && (
        <TrimDialog
          token={trimming}
          unusedFor={unusedFor}
          onClose={(done) => {
            setTrimming(null)
            if (done) report.reload()
          }}
        />
      )}
    </section>
  )
}

type Trim = TrimTokenMutation['trimToken']

/** Shows the dry-run diff of a trim, then applies it on confirmation. */
function TrimDialog({ token, unusedFor, onClose }: { token: { id: string; name: string; scopes: string[] }; unusedFor: string; onClose: (trimmed: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null)
  const [preview, setPreview] = useState<Trim | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    if (ref.current && !ref.current.open) ref.current.showModal()
    request(TrimTokenDocument, { id: token.id, unusedFor, dryRun: true }).then(
      (d) => setPreview(d.trimToken),
      (e: unknown) => setError(errorText(e)),
    )
  }, [token.id, unusedFor])
  const apply = async () => {
    setBusy(true)
    try {
      await request(TrimTokenDocument, { id: token.id, unusedFor, dryRun: false })
      ref.current?.close()
      onClose(true)
    } catch (e) {
      setError(errorText(e))
      setBusy(false)
    }
  }
  const close = () => {
    ref.current?.close()
    onClose(false)
  }
  return (
    <dialog ref={ref} aria-labelledby="trim-title" onCancel={close}>
      <h2 id="trim-title">Trim {token.name}?</h2>
      {!preview && !error && <p aria-busy="true">Computing the change (dry run)…</p>}
      {preview && (
        <ul aria-label="Scope changes" className="diff">
          {trimDiff(token.scopes, preview.keptScopes).map((d) => (
            <li key={d.scope} className={`diff-${d.change}`}>
              {d.change === 'removed' ? '−' : d.change === 'added' ? '+' : '='} <code>{d.scope}</code> {d.change}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" className="secondary" onClick={close}>
          Cancel
        </button>
        <button type="button" disabled={busy || !preview} onClick={() => void apply()}>
          Apply trim
        </button>
      </div>
    </dialog>
  )
}
