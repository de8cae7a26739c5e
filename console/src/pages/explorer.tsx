// The explorer: GraphiQL bundled into the build (no CDN), loaded only on this page, sending the
// signed-in token in the Authorization header, with each field's scope requirement beside it.
import { GraphiQL } from 'graphiql'
import 'graphiql/style.css'
import { useMemo, useState } from 'react'
import { session } from '../api'
import { useQuery } from './common'

interface Requirement {
  coordinate: string
  requiredScopes: string[][]
  authenticated: boolean
  public: boolean
}

function describe(r: Requirement): string {
  if (r.public) return 'public'
  if (r.requiredScopes.length === 0) return 'any valid token'
  return r.requiredScopes.map((all) => all.join(' + ')).join(' or ')
}

async function fetcher(params: unknown): Promise<unknown> {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(session.token ? { authorization: `Bearer ${session.token}` } : {}) },
    body: JSON.stringify(params),
    credentials: 'omit',
  })
  return res.json()
}

const DEFAULT_QUERY = `# The signed-in token is sent in the Authorization header.
{
  viewer { id name scopes expiresAt }
}
`

export default function ExplorerPage() {
  const [filter, setFilter] = useState('')
  const reqs = useQuery(
    async () =>
      ((await fetcher({ query: '{ scopeRequirements { coordinate requiredScopes authenticated public } }' })) as { data?: { scopeRequirements: Requirement[] } }).data
        ?.scopeRequirements ?? [],
    [],
  )
  const shown = useMemo(() => (reqs.data ?? []).filter((r) => r.coordinate.toLowerCase().includes(filter.trim().toLowerCase())), [reqs.data, filter])
  return (
    <section aria-labelledby="explorer-title" className="explorer">
      <h1 id="explorer-title">Explorer</h1>
      <div className="explorer-body">
        <div className="graphiql-host">
          <GraphiQL fetcher={fetcher as never} defaultQuery={DEFAULT_QUERY} shouldPersistHeaders={false} storage={memoryStorage} />
        </div>
        <aside aria-labelledby="requirements-title" className="requirements">
          <h2 id="requirements-title">Scope requirements</h2>
          <label>
            Field
            <input type="search" value={filter} placeholder="e.g. Query.tokens" onChange={(e) => setFilter(e.target.value)} />
          </label>
          <table>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Needs</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.coordinate}>
                  <td>
                    <code>{r.coordinate}</code>
                  </td>
                  <td>{describe(r)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </aside>
      </div>
    </section>
  )
}

/** GraphiQL's storage kept in memory: nothing of the session (headers, queries) lands in localStorage. */
const memory = new Map<string, string>()
const memoryStorage = {
  getItem: (key: string) => memory.get(key) ?? null,
  setItem: (key: string, value: string) => void memory.set(key, value),
  removeItem: (key: string) => void memory.delete(key),
  clear: () => memory.clear(),
  get length() {
    return memory.size
  },
}
