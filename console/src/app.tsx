import { lazy, Suspense, useCallback, useEffect, useState, type FormEvent } from 'react'
import { ApiError, request, session, setUnauthenticatedHandler } from './api'
import { closeTokenEvents } from './live'
import { ScopeCatalogueDocument, ViewerDocument, type ViewerQuery } from './gql/graphql'
import { abilities, BUILT_IN_IMPLIES, closeScopes, pageOf, signInMessage, type Abilities } from './logic'
import { linkHandler, navigate, useLocation } from './router'
import { AppsPage } from './pages/apps'
import { AuditPage, KeysPage } from './pages/audit'
import { IssuePage } from './pages/issue'
import { LeastPrivilegePage } from './pages/least-privilege'
import { TokenPage } from './pages/token'
import { TokensPage } from './pages/tokens'

const ExplorerPage = lazy(() => import('./pages/explorer'))

export type Viewer = NonNullable<ViewerQuery['viewer']>

export interface Caller {
  viewer: Viewer
  held: Set<string>
  can: Abilities
  implies: Record<string, string[]>
}

async function loadCaller(token: string): Promise<Caller> {
  const data = await request(ViewerDocument, {}, token)
  if (!data.viewer) throw new ApiError('This token is not valid.', 401, 'UNAUTHENTICATED')
  let implies: Record<string, string[]> = BUILT_IN_IMPLIES
  const viewerScopes = closeScopes(data.viewer.scopes, implies)
  if (viewerScopes.has('scopes:read')) {
    const catalogue = await request(ScopeCatalogueDocument, {}, token)
    implies = Object.fromEntries(catalogue.scopes.map((s) => [s.name, s.implies]))
  }
  const held = closeScopes(data.viewer.scopes, implies)
  return { viewer: data.viewer, held, can: abilities(held), implies }
}

export function App() {
  const [caller, setCaller] = useState<Caller | null>(null)
  const [reason, setReason] = useState<string | null>(null)
  const [restoring, setRestoring] = useState(session.token !== null)
  const loc = useLocation()

  const signOut = useCallback((why: string | null) => {
    session.signOut()
    closeTokenEvents()
    setCaller(null)
    setReason(why)
  }, [])

  useEffect(() => {
    setUnauthenticatedHandler((why) => signOut(`Signed out: ${why}`))
    const saved = session.token
    if (saved === null) return
    loadCaller(saved)
      .then(setCaller)
      .catch((e: unknown) => signOut(e instanceof ApiError ? signInMessage(e.code, e.status) : 'Could not restore the session.'))
      .finally(() => setRestoring(false))
  }, [signOut])

  if (restoring)
    return (
      <main className="centered" aria-busy="true">
        Loading…
      </main>
    )
  if (!caller)
    return (
      <SignIn
        reason={reason}
        onSignedIn={(c) => {
          setReason(null)
          setCaller(c)
        }}
      />
    )

  const page = pageOf(loc.pathname)
  const link = (to: string, label: string, current: boolean) => (
    <a href={to} onClick={linkHandler(to)} aria-current={current ? 'page' : undefined}>
      {label}
    </a>
  )
  return (
    <>
      <header className="top">
        <span className="brand">Scopeward</span>
        <nav aria-label="Main">
          {caller.can.readTokens && link('/console/tokens', 'Tokens', page === 'tokens' || page === 'token')}
          {caller.can.writeTokens && link('/console/issue', 'Issue token', page === 'issue')}
          {caller.can.readTokens && link('/console/least-privilege', 'Least privilege', page === 'least-privilege')}
          {caller.can.readApps && link('/console/apps', 'Apps', page === 'apps')}
          {caller.can.readAudit && link('/console/audit', 'Audit log', page === 'audit')}
          {caller.held.has('keys:read') && link('/console/keys', 'Signing keys', page === 'keys')}
          {link('/console/explorer', 'Explorer', page === 'explorer')}
        </nav>
        <span className="who">
          Signed in as <strong>{caller.viewer.name}</strong> ({caller.viewer.app.name})
        </span>
        <button type="button" onClick={() => signOut(null)}>
          Sign out
        </button>
      </header>
      <main>
        {page === 'tokens' && <TokensPage caller={caller} />}
        {page === 'token' && <TokenPage caller={caller} id={loc.searchParams.get('id') ?? ''} />}
        {page === 'issue' && <IssuePage caller={caller} />}
        {page === 'least-privilege' && <LeastPrivilegePage caller={caller} />}
        {page === 'apps' && <AppsPage caller={caller} />}
        {page === 'audit' && <AuditPage caller={caller} />}
        {page === 'keys' && <KeysPage caller={caller} />}
        {page === 'explorer' && (
          <Suspense fallback={<p aria-busy="true">Loading the explorer…</p>}>
            <ExplorerPage />
          </Suspense>
        )}
      </main>
    </>
  )
}

function SignIn({ reason, onSignedIn }: { reason: string | null; onSignedIn: (caller: Caller) => void }) {
  const [value, setValue] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const token = value.trim()
    if (token === '') return setError('Paste a token to sign in.')
    setBusy(true)
    setError(null)
    try {
      const caller = await loadCaller(token)
      session.signIn(token)
      setValue('')
      if (!location.pathname.startsWith('/console/') || location.pathname === '/console/') navigate('/console/tokens')
      onSignedIn(caller)
    } catch (e) {
      setError(e instanceof ApiError ? signInMessage(e.code, e.status) : 'Sign-in failed.')
    } finally {
      setBusy(false)
    }
  }
  return (
    <main className="centered">
      <h1>Scopeward console</h1>
      {reason && (
        <p role="alert" className="notice">
          {reason}
        </p>
      )}
      <form onSubmit={submit} className="card signin">
        <label htmlFor="token">Token</label>
        <input id="token" type="password" autoComplete="off" spellCheck={false} value={value} onChange={(e) => setValue(e.target.value)} aria-describedby="token-help" />
        <p id="token-help" className="help">
          Paste an API token (swt_… or a JWT). It is kept in this tab only, and forgotten when you sign out.
        </p>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  )
}
