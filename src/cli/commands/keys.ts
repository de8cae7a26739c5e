import { Command } from 'commander'
import { listSigningKeys, rotateSigningKey } from '../../domain/signing-keys.js'
import type { CliIo } from '../io.js'
import { withDomain } from '../open-domain.js'
import { operatorCall } from '../operator.js'
import { asFlags, choiceOption, dbOption, examples, jsonOption } from '../options.js'
import { createOutput, when } from '../output.js'
import { signingKeyJson } from '../present.js'

/** `scopeward keys list|rotate`: the keys that sign JWT access tokens. */
export function keysCommands(io: CliIo): Command {
  const keys = new Command('keys').description('list and rotate the keys that sign JWT access tokens')

  examples(keys.command('list').description('list the signing keys, oldest first (public information: the JWKS publishes them)').addOption(dbOption()).addOption(jsonOption()), [
    'scopeward keys list',
  ]).action(async (opts: { db?: string; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db, keys: true }, async ({ domain }) => {
      const rows = await listSigningKeys(domain)
      out.result(rows.map(signingKeyJson), () =>
        rows.length === 0
          ? 'no signing keys'
          : out.table(
              ['KID', 'ALG', 'STATUS', 'CREATED', 'SIGNS FROM', 'RETIRES AFTER'],
              rows.map((k) => [k.kid, k.alg, k.status, when(k.createdAt), when(k.activatesAt ?? k.createdAt), when(k.retireAfter)]),
            ),
      )
    })
  })

  examples(
    keys
      .command('rotate')
      .description('make a new signing key: published now, signing after SCOPEWARD_KEY_ACTIVATION_DELAY; the old one verifies until its unrevoked tokens expire')
      .addOption(dbOption())
      .addOption(choiceOption('--alg <alg>', 'signing algorithm', ['EdDSA', 'ES256', 'RS256']).default('EdDSA'))
      .option('--revoke-old', 'emergency: the new key signs at once, every older key is retired now and every JWT it signed is revoked')
      .addOption(jsonOption()),
    ['scopeward keys rotate', 'scopeward keys rotate --alg es256 --revoke-old'],
  ).action(async (opts: { db?: string; alg: string; revokeOld?: boolean; json?: boolean }) => {
    const out = createOutput(io, !!opts.json)
    await withDomain(io, { db: opts.db, keys: true }, async ({ domain }) => {
      const key = await asFlags({ alg: '--alg', revokeOld: '--revoke-old' }, () => rotateSigningKey(domain, operatorCall(), opts.alg, !!opts.revokeOld))
      out.result(signingKeyJson(key), () => `new signing key ${key.kid} (${key.alg}), signing ${key.activatesAt === null ? 'now' : `from ${when(key.activatesAt)}`}`)
    })
  })

  return keys
}
