#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander'
import { createApp } from '../domain/apps.js'
import { operatorCall } from '../domain/actor.js'
import { formatDuration } from '../domain/duration.js'
import { initialize, rootTokenRecord } from '../domain/initialize.js'
import { issueToken } from '../domain/issue-token.js'
import { revokeToken } from '../domain/revoke-token.js'
import { auditEvent } from '../domain/context.js'
import { statusUnderPolicy } from '../domain/token-status.js'
import { overPermissionedTokens } from '../domain/usage-report.js'
import { usageGaps } from '../domain/usage-tracker.js'
import { verifyAuditChain } from '../domain/verify-audit.js'
import { ScopewardError } from '../errors.js'
import type { TokenStatus } from '../domain/model.js'
import { openDomain } from './open-domain.js'
import { serve } from './serve.js'
import { loadConfig } from '../config.js'
import { rotateSigningKey } from '../domain/signing-keys.js'
import { auditKeyOf } from '../store/audit-hash.js'
import { masterKeyBytes } from '../tokens/seal-private-key.js'
import { redactSecrets } from '../text.js'

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(/[\s,]+/).filter(Boolean)]
const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString())
const dbOption = () => new Option('--db <path>', 'SQLite file or postgres:// URL (default ./data/scopeward.db; env SCOPEWARD_DB)')

function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`)
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n')
}

const program = new Command('scopeward')
  .description('Scopeward: a GraphQL authorization server for API tokens')
  .version('0.1.0')
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)')
  // Usage errors echo arguments: a secret pasted in the wrong place is not printed back.
  .configureOutput({ writeErr: (text) => process.stderr.write(redactSecrets(text)) })

program
  .command('init')
  .description('create the database, the built-in scopes, the root app and a root token (printed once)')
  .addOption(dbOption())
  .option('--json', 'print {"rootToken": "..."} on stdout')
  .option('--no-expiry', 'a root token that never expires (default: 90 days)')
  .action(async (opts: { db?: string; json?: boolean; expiry: boolean }) => {
    const domain = await openDomain(opts.db, { allowEmpty: true })
    try {
      const { rootToken } = await initialize(domain, operatorCall(), { noExpiry: !opts.expiry })
      print(!!opts.json, { rootToken }, `Initialised. Root token (shown once, store it now):\n\n  ${rootToken}\n`)
    } finally {
      await domain.store.close()
    }
  })

program
  .command('serve')
  .description('apply pending migrations and serve the API (initialises an empty database)')
  .addOption(dbOption())
  .option('--port <n>', 'port (default 4000; env PORT)')
  .option('--host <h>', 'interface (default 127.0.0.1; env HOST)')
  .action((opts: { db?: string; port?: string; host?: string }) => serve(opts))

program
  .command('migrate')
  .description('apply pending database migrations')
  .addOption(dbOption())
  .action(async (opts: { db?: string }) => {
    const domain = await openDomain(opts.db, { allowEmpty: true })
    await domain.store.close()
    process.stdout.write('migrations applied\n')
  })

const token = program.command('token').description('issue, list and revoke tokens')
token
  .command('issue')
  .description('issue a token from the command line (whoever holds the database may)')
  .addOption(dbOption())
  .option('--app <id>', 'app of the token (default: root)', 'root')
  .option('--name <name>', 'token name', 'cli')
  .option('--scope <scopes>', 'scope to grant (repeat, or comma-separated)', collect)
  .option('--subject <id>', 'the user the token acts for')
  .option('--expires-in <duration>', 'ISO 8601 lifetime, e.g. P30D (default P90D)')
  .option('--no-expiry', 'a token that never expires')
  .option('--root', 'break glass: a new root token holding every built-in scope')
  .option('--json', 'print JSON')
  .action(async (opts: { db?: string; app: string; name: string; scope?: string[]; subject?: string; expiresIn?: string; expiry: boolean; root?: boolean; json?: boolean }, command: Command) => {
    if (opts.root) {
      // Break glass mints exactly one thing; a flag it would ignore must not silently widen what the operator asked for.
      const ignored = (['scope', 'subject', 'expiresIn', 'app'] as const).filter((flag) => command.getOptionValueSource(flag) === 'cli')
      const names = { scope: '--scope', subject: '--subject', expiresIn: '--expires-in', app: '--app' }
      if (ignored.length > 0) command.error(`scopeward: --root mints a token holding every built-in scope and cannot be combined with ${ignored.map((f) => names[f]).join(', ')}; for a narrower root-app token use: scopeward token issue --app root --scope ...`)
    }
    const domain = await openDomain(opts.db)
    try {
      if (opts.root) {
        const scopes = domain.catalogue.all.filter((s) => s.builtIn).map((s) => s.name)
        const { record, plaintext } = rootTokenRecord(domain, scopes, !opts.expiry)
        if (command.getOptionValueSource('name') === 'cli') record.name = opts.name
        await domain.store.insertToken(record, auditEvent(domain, operatorCall(), { action: 'token.issue_root', target: record.id, appId: record.appId }))
        return print(!!opts.json, { id: record.id, secret: plaintext }, plaintext)
      }
      const issued = await issueToken(domain, operatorCall(), { appId: opts.app, name: opts.name, scopes: opts.scope ?? [], subject: opts.subject, expiresIn: opts.expiresIn, noExpiry: !opts.expiry })
      print(!!opts.json, { id: issued.token.id, secret: issued.secret, scopes: issued.token.scopes, expiresAt: iso(issued.token.expiresAt) }, issued.secret)
    } finally {
      await domain.store.close()
    }
  })

token
  .command('list')
  .description('list tokens')
  .addOption(dbOption())
  .option('--app <id>', 'only this app')
  .addOption(new Option('--status <status>', 'only this status').choices(['ACTIVE', 'EXPIRED', 'REVOKED']))
  .option('--json', 'print JSON')
  .action(async (opts: { db?: string; app?: string; status?: TokenStatus; json?: boolean }) => {
    const domain = await openDomain(opts.db)
    try {
      const now = domain.clock()
      const rows = []
      let after
      do {
        const page = await domain.store.listTokens({ appId: opts.app, status: opts.status, now, maxLifetimeMs: domain.policies.maxTokenLifetimeMs ?? undefined }, { after, limit: 500 })
        rows.push(...page.rows)
        after = page.hasNextPage ? page.rows[page.rows.length - 1] : undefined
      } while (after)
      // The status under the lifetime policies in force, as the API shows it.
      const apps = new Map((await Promise.all([...new Set(rows.map((t) => t.appId))].map((id) => domain.store.getApp(id)))).flatMap((a) => (a ? [[a.id, a] as const] : [])))
      const out = rows.map(({ secretHash: _s, ...t }) => ({ ...t, status: statusUnderPolicy(domain, { ...t, secretHash: null }, apps.get(t.appId) ?? null, now) }))
      print(!!opts.json, out, table([['ID', 'APP', 'NAME', 'STATUS', 'SCOPES', 'EXPIRES'], ...out.map((t) => [t.id, t.appId, t.name, t.status, t.scopes.join(','), iso(t.expiresAt)])]))
    } finally {
      await domain.store.close()
    }
  })

token
  .command('revoke')
  .description('revoke a token and every token derived from it')
  .argument('<id>', 'token id (the 16 characters after swt_)')
  .addOption(dbOption())
  .option('--reason <text>', 'why')
  .action(async (id: string, opts: { db?: string; reason?: string }) => {
    const domain = await openDomain(opts.db)
    try {
      const { revokedIds } = await revokeToken(domain, operatorCall(), id, opts.reason ?? 'revoked from the command line')
      process.stdout.write(`revoked ${revokedIds.length} token(s): ${revokedIds.join(' ') || '(already revoked)'}\n`)
    } finally {
      await domain.store.close()
    }
  })

const app = program.command('app').description('create and list apps')
app
  .command('create')
  .description('create an app')
  .addOption(dbOption())
  .requiredOption('--name <name>', 'app name')
  .option('--description <text>', 'description')
  .option('--scope <scopes>', 'allowed scope (repeat, or comma-separated)', collect)
  .option('--max-lifetime <duration>', 'longest token lifetime, ISO 8601 (e.g. P30D)')
  .option('--json', 'print JSON')
  .action(async (opts: { db?: string; name: string; description?: string; scope?: string[]; maxLifetime?: string; json?: boolean }) => {
    const domain = await openDomain(opts.db)
    try {
      const created = await createApp(domain, operatorCall(), { name: opts.name, description: opts.description, allowedScopes: opts.scope ?? [], maxTokenLifetime: opts.maxLifetime })
      print(!!opts.json, created, created.id)
    } finally {
      await domain.store.close()
    }
  })

app
  .command('list')
  .description('list apps')
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (opts: { db?: string; json?: boolean }) => {
    const domain = await openDomain(opts.db)
    try {
      const { rows } = await domain.store.listApps({ limit: 10_000 })
      print(!!opts.json, rows, table([['ID', 'NAME', 'ALLOWED SCOPES', 'MAX LIFETIME', 'DISABLED'], ...rows.map((a) => [a.id, a.name, a.allowedScopes.join(','), a.maxTokenLifetimeMs === null ? '-' : formatDuration(a.maxTokenLifetimeMs), iso(a.disabledAt)])]))
    } finally {
      await domain.store.close()
    }
  })

program
  .command('report')
  .description('over-permissioned tokens: active tokens holding scopes they have not used, and what to keep; and tokens that never expire')
  .addOption(dbOption())
  .option('--unused-for <duration>', 'the window, ISO 8601', 'P30D')
  .option('--json', 'print JSON')
  .action(async (opts: { db?: string; unusedFor: string; json?: boolean }) => {
    const domain = await openDomain(opts.db)
    try {
      const rows = []
      let after: string | null = null
      for (;;) {
        const page = await overPermissionedTokens(domain, operatorCall().actor, { unusedFor: opts.unusedFor, first: 100, after })
        rows.push(...page.rows)
        if (!page.hasNextPage) break
        after = page.endCursor
      }
      const forever = await domain.store.listTokens({ status: 'ACTIVE', neverExpires: true, now: domain.clock() }, { limit: 1000 })
      // Usage lost to a crash makes a scope used only then look unused: the report says so (18.10).
      const gaps = (await usageGaps(domain.store, domain.clock())).map((g) => ({ from: iso(g.from), to: iso(g.to) }))
      const out = { usageGaps: gaps, overPermissioned: rows.map((r) => ({ id: r.token.id, app: r.token.appId, name: r.token.name, unusedScopes: r.unusedScopes, keep: r.suggestedScopes, lastUsedAt: iso(r.token.lastUsedAt) })), neverExpiring: forever.rows.map((t) => ({ id: t.id, app: t.appId, name: t.name })) }
      const text = [
        ...gaps.map((g) => `Warning: usage from ${g.from} to ${g.to} may be lost (an instance stopped without flushing it): a scope used only then looks unused below.`),
        `Tokens with scopes unused for ${opts.unusedFor} (${out.overPermissioned.length}):`,
        out.overPermissioned.length ? table([['ID', 'APP', 'NAME', 'UNUSED SCOPES', 'KEEP', 'LAST USED'], ...out.overPermissioned.map((r) => [r.id, r.app, r.name, r.unusedScopes.join(','), r.keep.join(',') || '(none: revoke)', r.lastUsedAt])]) : '  none',
        '',
        `Tokens that never expire (${out.neverExpiring.length}):`,
        out.neverExpiring.length ? table([['ID', 'APP', 'NAME'], ...out.neverExpiring.map((t) => [t.id, t.app, t.name])]) : '  none',
        '',
        'Trim one with: mutation { trimToken(id: "<ID>") { keptScopes } }',
      ].join('\n')
      print(!!opts.json, out, text)
    } finally {
      await domain.store.close()
    }
  })

const audit = program.command('audit').description('the audit log')
/** The audit log of `db`, checked with the master key's audit key when SCOPEWARD_MASTER_KEY is set. */
async function checkAudit(db: string | undefined, head?: string) {
  if (head !== undefined && !/^[0-9a-f]{64}$/.test(head)) throw new ScopewardError('BAD_USER_INPUT', `--head: must be the 64 hex characters printed by \`scopeward audit head\`, got ${JSON.stringify(head.slice(0, 80))}`)
  const domain = await openDomain(db)
  try {
    const key = auditKeyOf(masterKeyBytes(loadConfig(db ? { db } : {}).masterKey))
    const verdict = await verifyAuditChain(domain.store, { key, head: head ?? null })
    if (!verdict.ok) throw new ScopewardError('CONFLICT', `audit log broken after ${verdict.events} events: ${verdict.problem}`)
    return { ...verdict, mode: key === null ? 'SHA-256 chain (no master key)' : `keyed chain (${verdict.keyed} events under the master key)` }
  } finally {
    await domain.store.close()
  }
}

audit
  .command('verify')
  .description("recompute the audit log's chain (keyed under SCOPEWARD_MASTER_KEY when set); exit 1 naming the first changed or deleted event")
  .addOption(dbOption())
  .option('--head <hash>', 'a head printed earlier by `scopeward audit head` and kept elsewhere: the chain must still contain it')
  .action(async (opts: { db?: string; head?: string }) => {
    const verdict = await checkAudit(opts.db, opts.head)
    process.stdout.write(`audit log intact: ${verdict.events} events, ${verdict.mode}${opts.head ? `, contains the anchored head ${opts.head}` : ''}\n`)
  })

audit
  .command('head')
  .description('verify the audit log, then print its head (sequence number and hash) to keep outside the database')
  .addOption(dbOption())
  .option('--json', 'print {"seq": N, "hash": "..."}')
  .action(async (opts: { db?: string; json?: boolean }) => {
    const verdict = await checkAudit(opts.db)
    print(!!opts.json, verdict.head, verdict.head ? `${verdict.head.seq} ${verdict.head.hash}` : '(empty log)')
  })

program
  .command('keys')
  .description('manage the keys that sign JWT access tokens')
  .command('rotate')
  .description('make a new signing key: published now, signing after SCOPEWARD_KEY_ACTIVATION_DELAY; the old one verifies until its unrevoked tokens expire')
  .addOption(dbOption())
  .addOption(new Option('--alg <alg>', 'signing algorithm').choices(['EdDSA', 'ES256', 'RS256']).default('EdDSA'))
  .option('--revoke-old', 'emergency: the new key signs at once, every older key is retired now and every JWT it signed is revoked')
  .option('--json', 'print JSON')
  .action(async (opts: { db?: string; alg: string; revokeOld?: boolean; json?: boolean }) => {
    const domain = await openDomain(opts.db, { keys: true })
    try {
      const key = await rotateSigningKey(domain, operatorCall(), opts.alg, !!opts.revokeOld)
      print(!!opts.json, key, `new signing key ${key.kid} (${key.alg}), signing ${key.activatesAt === null ? 'now' : `from ${iso(key.activatesAt)}`}`)
    } finally {
      await domain.store.close()
    }
  })

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2
  } else if (error instanceof ScopewardError) {
    process.stderr.write(`scopeward: ${error.message}\n`)
    process.exitCode = 1
  } else {
    process.stderr.write(`scopeward: ${redactSecrets((error as Error).message ?? String(error))}\n`)
    process.exitCode = 1
  }
}
