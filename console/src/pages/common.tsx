import { useEffect, useState, type JSX } from 'react'
import { ApiError } from '../api'

/** Runs `load` when `deps` change; exposes the data, the error message and a reload. */
export function useQuery<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: string | null; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: true })
  const [round, setRound] = useState(0)
  useEffect(() => {
    let live = true
    setState((s) => ({ ...s, loading: true }))
    load()
      .then((data) => live && setState({ data, error: null, loading: false }))
      .catch((e: unknown) => live && setState({ data: null, error: errorText(e), loading: false }))
    return () => {
      live = false
    }
  }, [...deps, round])
  return { ...state, reload: () => setRound((r) => r + 1) }
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const ext = e.extensions
    const lists = ['unknownScopes', 'disallowedScopes', 'missingScopes'].filter((k) => Array.isArray(ext[k])).map((k) => `${k}: ${(ext[k] as string[]).join(', ')}`)
    return [`${e.message}${e.code ? ` (${e.code})` : ''}`, ...lists].join('; ')
  }
  return e instanceof Error ? e.message : String(e)
}

export function Status({ value }: { value: string }) {
  return <span className={`status status-${value.toLowerCase()}`}>{value}</span>
}

export function ScopeList({ scopes, label }: { scopes: readonly string[]; label: string }) {
  if (scopes.length === 0) return <span className="muted">none</span>
  return (
    <ul className="scopes" aria-label={label}>
      {scopes.map((s) => (
        <li key={s}>
          <code>{s}</code>
        </li>
      ))}
    </ul>
  )
}

/** Keyset paging: the cursors of the pages before this one, and the buttons that move between them. */
export function useCursors(): { after: string | null; reset: () => void; pager: (pageInfo: { hasNextPage: boolean; endCursor: string | null }) => JSX.Element } {
  const [cursors, setCursors] = useState<(string | null)[]>([null])
  return {
    after: cursors[cursors.length - 1] ?? null,
    reset: () => setCursors([null]),
    pager: (pageInfo) => (
      <div className="pager">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={!pageInfo.hasNextPage} onClick={() => setCursors([...cursors, pageInfo.endCursor])}>
          Next page
        </button>
      </div>
    ),
  }
}
