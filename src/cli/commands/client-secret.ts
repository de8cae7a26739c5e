import { Command } from 'commander'
import { createClientSecret, revokeClientSecret } from '../../domain/client-secrets.js'
import { listClientSecrets } from '../../domain/list-client-secrets.js'
import { resolveApp } from '../../domain/resolve-app.js'
import type { CliIo } from '../io.js'
import { withDomain } from '../open-domain.js'
import { operatorActor, operatorCall } from '../operator.js'
import { asFlags, collect, dbOption, examples, jsonOption } from '../options.js'
import { createOutput, iso, when } from '../output.js'
import { clientSecretJson } from '../present.js'

const FIELDS = { scopes: '--scope', appId: '--app', id: '<secret>' }

/** `scopeward client-secret create|list|revoke`: the credentials of POST /oauth/token (client_id = the app id). */
export function clientSecretCommands(io: CliIo): Command {
  const group = new Command('client-secret').description('create, list and revoke the client secrets apps use at /oauth/token')

  examples(
    group
      .command('create')
      .description('create a client secret for an app: printed once on stdout (client_id is the app id)')
      .addOption(dbOption())
      .requiredOption('--app <app>', 'the app, by id or name (required)')
      .option('--scope <scopes>', 'its ceiling: the most a token it obtains may hold (default: everything the app allows)', collect)
      .addOption(jsonOption()),
    ['CLIENT_SECRET=$(scopeward client-secret create --app billing --scope tokens:read)'],
  ).action(async (opts: { db?: string; app: string; scope?: string[]; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const created = await asFlags(FIELDS, async () => createClientSecret(domain, operatorCall(), (await resolveApp(domain, operatorActor(), opts.app)).id, opts.scope ?? null))
      const r = created.record
      out.result({ id: r.id, appId: r.appId, scopes: r.scopes ?? [], secret: created.secret, createdAt: iso(r.createdAt) }, () => created.secret)
      if (!out.json) {
        out.note(`Client secret ${r.id} for app ${r.appId} (use client_id=${r.appId}), scopes ${(r.scopes ?? []).join(', ')}.`)
        out.note(out.paint('yellow', 'This is the only time the secret is shown: store it now.'))
      }
    })
  })

  examples(
    group
      .command('list')
      .description("list an app's client secrets (metadata only)")
      .addOption(dbOption())
      .requiredOption('--app <app>', 'the app, by id or name (required)')
      .addOption(jsonOption()),
    ['scopeward client-secret list --app billing'],
  ).action(async (opts: { db?: string; app: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const secrets = await asFlags(FIELDS, async () => listClientSecrets(domain, operatorActor(), (await resolveApp(domain, operatorActor(), opts.app)).id))
      out.result(secrets.map(clientSecretJson), () =>
        secrets.length === 0
          ? 'no client secrets'
          : out.table(
              ['ID', 'APP', 'STATUS', 'SCOPES', 'CREATED', 'LAST USED'],
              secrets.map((s) => [s.id, s.appId, s.revokedAt === null ? 'active' : 'revoked', (s.scopes ?? []).join(','), when(s.createdAt), when(s.lastUsedAt, 'never')]),
            ),
      )
    })
  })

  examples(
    group
      .command('revoke')
      .description('revoke a client secret: it stops authenticating at once (by id or the full secret; never echoed)')
      .argument('<secret>', 'the secret id (the 16 characters after sws_) or the full secret')
      .addOption(dbOption())
      .addOption(jsonOption()),
    ['scopeward client-secret revoke Ab3dEf6hIj9kLm2n'],
  ).action(async (id: string, opts: { db?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db }, async ({ domain }) => {
      const revoked = await asFlags(FIELDS, () => revokeClientSecret(domain, operatorCall(), id))
      const { secretHash: _hash, ...meta } = revoked
      out.result(clientSecretJson(meta), () => `client secret ${revoked.id} of app ${revoked.appId} is revoked (since ${when(revoked.revokedAt)})`)
    })
  })

  return group
}
