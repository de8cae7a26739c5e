import { useState, type FormEvent } from 'react'
import { request } from '../api'
import type { Caller } from '../app'
import {
  AppsPageDocument,
  CreateAppDocument,
  CreateClientSecretDocument,
  DisableAppDocument,
  EnableAppDocument,
  RevokeClientSecretDocument,
  UpdateAppDocument,
  type AppsPageQuery,
} from '../gql/graphql'
import { formatTime } from '../logic'
import { errorText, ScopeList, useQuery } from './common'

type App = NonNullable<AppsPageQuery['apps']>['edges'][number]['node']

/** Scopes typed as a list separated by commas or spaces. */
const scopeList = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean)

export function AppsPage({ caller }: { caller: Caller }) {
  const apps = useQuery(() => request(AppsPageDocument), [])
  const [error, setError] = useState<string | null>(null)
  const [secret, setSecret] = useState<{ appId: string; id: string; secret: string } | null>(null)
  const canWrite = caller.held.has('apps:write')
  const act = async (run: () => Promise<unknown>) => {
    setError(null)
    try {
      await run()
      apps.reload()
    } catch (e) {
      setError(errorText(e))
    }
  }
  return (
    <section aria-labelledby="apps-title">
      <h1 id="apps-title">Apps</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {apps.error && (
        <p role="alert" className="error">
          {apps.error}
        </p>
      )}
      {canWrite && caller.viewer.app.isRoot && <CreateApp onCreated={apps.reload} />}
      {apps.data?.apps.edges.map(({ node: app }) => (
        <article key={app.id} className="card app" aria-labelledby={`app-${app.id}`}>
          <h2 id={`app-${app.id}`}>
            {app.name} {app.disabledAt ? <span className="status status-revoked">DISABLED</span> : <span className="status status-active">ENABLED</span>}
          </h2>
          <dl className="facts">
            <dt>Id</dt>
            <dd>
              <code>{app.id}</code>
            </dd>
            <dt>Allowed scopes</dt>
            <dd>
              <ScopeList scopes={app.allowedScopes} label={`Allowed scopes of ${app.name}`} />
            </dd>
            <dt>Max token lifetime</dt>
            <dd>{app.maxTokenLifetime ?? 'none'}</dd>
            <dt>Created</dt>
            <dd>{formatTime(app.createdAt)}</dd>
          </dl>
          {canWrite && !app.isRoot && <EditApp app={app} onSaved={apps.reload} onError={setError} />}
          {canWrite &&
            !app.isRoot &&
            (app.disabledAt ? (
              <button type="button" onClick={() => void act(() => request(EnableAppDocument, { id: app.id }))}>
                Enable {app.name}
              </button>
            ) : (
              <button type="button" className="danger" onClick={() => void act(() => request(DisableAppDocument, { id: app.id }))}>
                Disable {app.name}
              </button>
            ))}
          <h3>Client secrets</h3>
          {(app.clientCredentials ?? []).length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Ceiling</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Revoked</th>
                  {canWrite && <th scope="col">Action</th>}
                </tr>
              </thead>
              <tbody>
                {(app.clientCredentials ?? []).map((s) => (
                  <tr key={s.id}>
                    <td>
                      <code>{s.id}</code>
                    </td>
                    <td>
                      {s.scopes === null || s.scopes === undefined ? (
                        <span className="muted">none (grants nothing)</span>
                      ) : (
                        <ScopeList scopes={s.scopes} label={`Ceiling of client secret ${s.id}`} />
                      )}
                    </td>
                    <td>{formatTime(s.createdAt)}</td>
                    <td>{formatTime(s.lastUsedAt)}</td>
                    <td>{formatTime(s.revokedAt)}</td>
                    {canWrite && (
                      <td>
                        {!s.revokedAt && (
                          <button
                            type="button"
                            className="danger"
                            aria-label={`Revoke client secret ${s.id}`}
                            onClick={() => void act(() => request(RevokeClientSecretDocument, { id: s.id }))}
                          >
                            Revoke
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {secret?.appId === app.id && (
            <div className="card secret" role="status">
              <label htmlFor={`cs-${app.id}`}>Client secret</label>
              <input id={`cs-${app.id}`} readOnly value={secret.secret} />
              <p className="warning">Copy it now: it is shown only this once.</p>
            </div>
          )}
          {canWrite && <NewClientSecret app={app} act={act} onCreated={(id, value) => setSecret({ appId: app.id, id, secret: value })} />}
        </article>
      ))}
    </section>
  )
}

function CreateApp({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState('')
  const [lifetime, setLifetime] = useState('')
  const [error, setError] = useState<string | null>(null)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(null)
    try {
      await request(CreateAppDocument, { input: { name: name.trim(), allowedScopes: scopeList(scopes), ...(lifetime.trim() ? { maxTokenLifetime: lifetime.trim() } : {}) } })
      setName('')
      setScopes('')
      setLifetime('')
      onCreated()
    } catch (e) {
      setError(errorText(e))
    }
  }
  return (
    <form className="card form" onSubmit={submit} aria-labelledby="create-app-title">
      <h2 id="create-app-title">Create app</h2>
      <label htmlFor="app-name">App name</label>
      <input id="app-name" value={name} onChange={(e) => setName(e.target.value)} />
      <label htmlFor="app-scopes">Allowed scopes (separated by spaces)</label>
      <input id="app-scopes" value={scopes} onChange={(e) => setScopes(e.target.value)} placeholder="tokens:read" />
      <label htmlFor="app-lifetime">Max token lifetime (ISO 8601, optional)</label>
      <input id="app-lifetime" value={lifetime} onChange={(e) => setLifetime(e.target.value)} placeholder="P30D" />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit">Create app</button>
    </form>
  )
}

function EditApp({ app, onSaved, onError }: { app: App; onSaved: () => void; onError: (message: string) => void }) {
  const [scopes, setScopes] = useState(app.allowedScopes.join(' '))
  const [lifetime, setLifetime] = useState(app.maxTokenLifetime ?? '')
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    try {
      await request(UpdateAppDocument, { id: app.id, input: { allowedScopes: scopeList(scopes), maxTokenLifetime: lifetime.trim() === '' ? null : lifetime.trim() } })
      onSaved()
    } catch (e) {
      onError(errorText(e))
    }
  }
  return (
    <form className="inline-form" onSubmit={submit}>
      <label htmlFor={`edit-scopes-${app.id}`}>Ceiling</label>
      <input id={`edit-scopes-${app.id}`} value={scopes} onChange={(e) => setScopes(e.target.value)} />
      <label htmlFor={`edit-lifetime-${app.id}`}>Lifetime</label>
      <input id={`edit-lifetime-${app.id}`} value={lifetime} size={8} onChange={(e) => setLifetime(e.target.value)} />
      <button type="submit">Save {app.name}</button>
    </form>
  )
}

/**
 * Creates a client secret with a ceiling: the scopes a client_credentials grant may carry at most.
 * Left empty, the server gives it what the caller could grant for the app.
 */
function NewClientSecret({
  app,
  act,
  onCreated,
}: {
  app: { id: string; name: string; allowedScopes: string[] }
  act: (work: () => Promise<unknown>) => Promise<void>
  onCreated: (id: string, secret: string) => void
}) {
  const [ceiling, setCeiling] = useState('')
  const fieldId = `ceiling-${app.id}`
  return (
    <div className="inline-form">
      <label htmlFor={fieldId}>Client secret ceiling for {app.name}</label>
      <input id={fieldId} value={ceiling} placeholder={app.allowedScopes.join(' ') || 'scopes, space-separated'} onChange={(e) => setCeiling(e.target.value)} />
      <button
        type="button"
        onClick={() =>
          void act(async () => {
            const scopes = scopeList(ceiling)
            const d = await request(CreateClientSecretDocument, { appId: app.id, ...(scopes.length > 0 ? { scopes } : {}) })
            setCeiling('')
            onCreated(d.createClientSecret.id, d.createClientSecret.secret)
          })
        }
      >
        New client secret for {app.name}
      </button>
    </div>
  )
}
