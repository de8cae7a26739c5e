import { useState } from 'react'
import { request } from '../api'
import type { Caller } from '../app'
import { AuditChainDocument, AuditLogDocument, RotateSigningKeyDocument, SigningKeysDocument, type SigningAlgorithm } from '../gql/graphql'
import { formatTime } from '../logic'
import { errorText, useCursors, useQuery } from './common'

/** A date input's day as an ISO instant (start of that day, UTC); undefined when empty. */
const day = (value: string): string | undefined => (value ? `${value}T00:00:00.000Z` : undefined)

export function AuditPage({ caller }: { caller: Caller }) {
  const [action, setAction] = useState('')
  const [actor, setActor] = useState('')
  const [target, setTarget] = useState('')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const { after, reset: resetPaging, pager } = useCursors()
  const log = useQuery(
    () =>
      request(AuditLogDocument, { action: action.trim() || null, actor: actor.trim() || null, target: target.trim() || null, from: day(from) ?? null, to: day(to) ?? null, after }),
    [action, actor, target, from, to, after],
  )
  const [chain, setChain] = useState<string | null>(null)
  const verify = async () => {
    try {
      const s = (await request(AuditChainDocument)).auditChainStatus
      setChain(s.ok ? `Chain verified: ${s.events} events, unbroken.` : `Chain BROKEN at event ${s.firstBadEvent ?? '?'}: ${s.problem ?? ''}`)
    } catch (e) {
      setChain(errorText(e))
    }
  }
  const reset = (set: (v: string) => void) => (v: string) => {
    set(v)
    resetPaging()
  }
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      {caller.viewer.app.isRoot && (
        <div className="inline-form">
          <button type="button" onClick={() => void verify()}>
            Verify chain
          </button>
          {chain && <p role="status">{chain}</p>}
        </div>
      )}
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Action
          <input value={action} placeholder="token.revoke" onChange={(e) => reset(setAction)(e.target.value)} />
        </label>
        <label>
          Actor
          <input value={actor} placeholder="token id" onChange={(e) => reset(setActor)(e.target.value)} />
        </label>
        <label>
          Target
          <input value={target} onChange={(e) => reset(setTarget)(e.target.value)} />
        </label>
        <label>
          From
          <input type="date" value={from} onChange={(e) => reset(setFrom)(e.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} onChange={(e) => reset(setTo)(e.target.value)} />
        </label>
      </form>
      {log.error && (
        <p role="alert" className="error">
          {log.error}
        </p>
      )}
      {log.data && (
        <>
          <p className="muted">{log.data.auditEvents.totalCount} events, oldest first.</p>
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">App</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {log.data.auditEvents.edges.map(({ node }) => (
                <tr key={node.id}>
                  <td>{formatTime(node.at)}</td>
                  <td>{node.action}</td>
                  <td>
                    <code>{node.actor ?? 'command line'}</code>
                  </td>
                  <td>
                    <code>{node.appId ?? '—'}</code>
                  </td>
                  <td>
                    <code>{node.target ?? '—'}</code>
                  </td>
                  <td>
                    <code className="details">{JSON.stringify(node.details)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {pager(log.data.auditEvents.pageInfo)}
        </>
      )}
    </section>
  )
}

export function KeysPage({ caller }: { caller: Caller }) {
  const keys = useQuery(() => request(SigningKeysDocument), [])
  const [alg, setAlg] = useState<SigningAlgorithm>('EdDSA')
  const [error, setError] = useState<string | null>(null)
  const rotate = async () => {
    setError(null)
    try {
      await request(RotateSigningKeyDocument, { alg })
      keys.reload()
    } catch (e) {
      setError(errorText(e))
    }
  }
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">Signing keys</h1>
      {keys.error && (
        <p role="alert" className="error">
          {keys.error}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {keys.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Key id</th>
              <th scope="col">Algorithm</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Retires</th>
            </tr>
          </thead>
          <tbody>
            {keys.data.signingKeys.map((k) => (
              <tr key={k.kid}>
                <td>
                  <code>{k.kid}</code>
                </td>
                <td>{k.alg}</td>
                <td>{k.status}</td>
                <td>{formatTime(k.createdAt)}</td>
                <td>{formatTime(k.retireAfter)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {caller.held.has('keys:write') && caller.viewer.app.isRoot && (
        <div className="inline-form">
          <label htmlFor="key-alg">Algorithm</label>
          <select id="key-alg" value={alg} onChange={(e) => setAlg(e.target.value as SigningAlgorithm)}>
            <option value="EdDSA">EdDSA</option>
            <option value="ES256">ES256</option>
            <option value="RS256">RS256</option>
          </select>
          <button type="button" onClick={() => void rotate()}>
            Rotate signing key
          </button>
        </div>
      )}
    </section>
  )
}
