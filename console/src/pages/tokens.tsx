import { useState } from 'react'
import { request } from '../api'
import type { Caller } from '../app'
import { AppsDocument, TokensDocument, type TokenKind, type TokenStatus } from '../gql/graphql'
import { useTokenEvents } from '../live'
import { formatTime, tokenOrder, type SortKey } from '../logic'
import { linkHandler } from '../router'
import { ScopeList, Status, useCursors, useQuery } from './common'

const PAGE = 25

export function TokensPage({ caller }: { caller: Caller }) {
  const [search, setSearch] = useState('')
  const [appId, setAppId] = useState('')
  const [status, setStatus] = useState<TokenStatus | ''>('')
  const [subject, setSubject] = useState('')
  const [kind, setKind] = useState<TokenKind | ''>('')
  const [sort, setSort] = useState<SortKey>('created')
  const { after, reset: resetPaging, pager } = useCursors()
  const apps = useQuery(() => (caller.can.readApps ? request(AppsDocument) : Promise.resolve(null)), [caller])
  // Search and sort run on the server, so they cover every page, not just the one shown.
  const tokens = useQuery(
    () =>
      request(TokensDocument, {
        first: PAGE,
        after,
        ...tokenOrder(sort),
        ...(search.trim() ? { search: search.trim() } : {}),
        ...(appId ? { appId } : {}),
        ...(status ? { status } : {}),
        ...(kind ? { kind } : {}),
        ...(subject.trim() ? { subject: subject.trim() } : {}),
      }),
    [after, appId, status, kind, subject, search, sort],
  )
  const rows = tokens.data ? tokens.data.tokens.edges.map((e) => e.node) : []
  // Live: a token issued, revoked or changed anywhere reloads the page shown (console/src/live.ts).
  useTokenEvents(tokens.reload)

  return (
    <section aria-labelledby="tokens-title">
      <div className="title-row">
        <h1 id="tokens-title">Tokens</h1>
        {caller.can.writeTokens && (
          <a className="button" href="/console/issue" onClick={linkHandler('/console/issue')}>
            Issue token
          </a>
        )}
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input
            type="search"
            value={search}
            placeholder="name or id"
            onChange={(e) => {
              setSearch(e.target.value)
              resetPaging()
            }}
          />
        </label>
        {apps.data && (
          <label>
            App
            <select
              value={appId}
              onChange={(e) => {
                setAppId(e.target.value)
                resetPaging()
              }}
            >
              <option value="">All apps</option>
              {apps.data.apps.edges.map(({ node }) => (
                <option key={node.id} value={node.id}>
                  {node.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Status
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as TokenStatus | '')
              resetPaging()
            }}
          >
            <option value="">Any</option>
            <option value="ACTIVE">Active</option>
            <option value="EXPIRED">Expired</option>
            <option value="REVOKED">Revoked</option>
          </select>
        </label>
        <label>
          Subject
          <input
            value={subject}
            onChange={(e) => {
              setSubject(e.target.value)
              resetPaging()
            }}
          />
        </label>
        <label>
          Kind
          <select
            value={kind}
            onChange={(e) => {
              setKind(e.target.value as TokenKind | '')
              resetPaging()
            }}
          >
            <option value="">Any</option>
            <option value="OPAQUE">Opaque</option>
            <option value="JWT">JWT</option>
          </select>
        </label>
        <label>
          Sort by
          <select
            value={sort}
            onChange={(e) => {
              setSort(e.target.value as SortKey)
              resetPaging()
            }}
          >
            <option value="created">Created (newest)</option>
            <option value="lastUsed">Last used (latest)</option>
            <option value="expires">Expires (soonest)</option>
          </select>
        </label>
      </form>
      {tokens.error && (
        <p role="alert" className="error">
          {tokens.error}
        </p>
      )}
      {tokens.data && (
        <>
          <p className="muted" aria-live="polite">
            {tokens.data.tokens.totalCount} tokens; showing {rows.length} on this page.
          </p>
          <table>
            <caption className="visually-hidden">Tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">App</th>
                <th scope="col">Status</th>
                <th scope="col">Scopes</th>
                <th scope="col">Kind</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => {
                const href = `/console/token?id=${encodeURIComponent(t.id)}`
                return (
                  <tr key={t.id}>
                    <td>
                      <a href={href} onClick={linkHandler(href)}>
                        {t.name}
                      </a>
                      <br />
                      <code className="muted">{t.id}</code>
                    </td>
                    <td>{t.app.name}</td>
                    <td>
                      <Status value={t.status} />
                    </td>
                    <td>
                      <ScopeList scopes={t.scopes} label={`Scopes of ${t.name}`} />
                    </td>
                    <td>{t.kind}</td>
                    <td>{t.expiresAt ? formatTime(t.expiresAt) : 'never'}</td>
                    <td>{formatTime(t.lastUsedAt)}</td>
                    <td>{formatTime(t.createdAt)}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
          {pager(tokens.data.tokens.pageInfo)}
        </>
      )}
    </section>
  )
}
