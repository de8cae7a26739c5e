import { importJWK, type CryptoKey, type JWK } from 'jose'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import type { Call } from '../domain/actor.js'
import { auditEvent, type Domain } from '../domain/context.js'
import type { SigningKeyInfo, SigningKeys } from '../domain/signing-keys.js'
import { isPlaintextKey, type AuditEventInput, type SigningKeyRecord, type WriteGuard } from '../domain/model.js'
import type { Store } from '../domain/ports.js'
import { DEFAULT_SIGNING_ALGORITHM, generateSigningKey, isSigningAlgorithm } from './generate-signing-key.js'
import { openPrivateKey, sealPrivateKey } from './seal-private-key.js'

/** Leeway granted to verifiers' clocks; a RETIRING key lives this much past the last expiry it signed. */
export const CLOCK_TOLERANCE_S = 5

interface LoadedKey {
  record: SigningKeyRecord
  publicJwk: JWK
  verifyKey: CryptoKey
  signKey: CryptoKey | null
  /** The instant it starts signing: its activatesAt, or its creation. */
  activation: number
  /** When RETIRING: the instant it stops verifying (see #retirements); null while ACTIVE. */
  retireAt: number | null
}

export interface KeyRingOptions {
  store: Store
  clock: Clock
  masterKey: Uint8Array | null
  /** The longest a JWT may live (SCOPEWARD_MAX_JWT_LIFETIME): how long a key that stopped signing may have to keep verifying. */
  maxJwtLifetimeMs: number
  /** How long a new key is published before it signs (SCOPEWARD_KEY_ACTIVATION_DELAY). */
  activationDelayMs: number
  /** Audit events for changes the ring makes on its own (first key, sealing, retirement). */
  auditFor: (action: string, target: string | null, details: Record<string, unknown>) => AuditEventInput
}

/** The ring of a server or a command over `domain`, with the settings of `config`; its own changes are audited as `upkeep`'s (the operator running the process). */
export function keyRingFor(
  domain: Pick<Domain, 'store' | 'clock' | 'policies'>,
  config: Pick<Config, 'keyActivationDelayMs'>,
  masterKey: Uint8Array | null,
  upkeep: Call,
): KeyRing {
  return new KeyRing({
    store: domain.store,
    clock: domain.clock,
    masterKey,
    maxJwtLifetimeMs: domain.policies.maxJwtLifetimeMs,
    activationDelayMs: config.keyActivationDelayMs,
    auditFor: (action, target, details) => auditEvent(domain, upkeep, { action, target, appId: null, details }),
  })
}

/**
 * The signing keys in memory, by kid. A new key is published (JWKS) `activationDelayMs` before it
 * signs, so verifiers holding a cached JWKS never meet an unknown kid; the key it replaces keeps
 * signing until then. A key that stopped signing stays RETIRING (published, verifying) until the
 * last unrevoked JWT it signed stops being usable, then becomes RETIRED: it leaves the JWKS and
 * its private key is wiped. Verification looks keys up here only, never in the database or
 * anywhere a token header points to.
 */
export class KeyRing implements SigningKeys {
  #keys = new Map<string, LoadedKey>()
  #queue: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined

  constructor(private readonly options: KeyRingOptions) {}

  /**
   * Reads the keys from the store: creates the first one on an empty store, seals plaintext keys
   * when a master key is set, retires keys no unrevoked JWT needs any more and wipes their private keys.
   */
  async refresh(): Promise<void> {
    await this.#serial(async () => {
      const { store, masterKey, auditFor } = this.options
      let records = await store.listSigningKeys()
      if (!records.some((r) => r.status === 'ACTIVE')) {
        const key = await generateSigningKey(DEFAULT_SIGNING_ALGORITHM, this.options.clock(), masterKey)
        await store.insertSigningKey(key, this.options.clock(), auditFor('key.create', key.kid, { alg: key.alg }))
        records = await store.listSigningKeys()
      }
      const plaintext = masterKey ? records.filter((r) => r.status !== 'RETIRED' && isPlaintextKey(r.privateKey)) : []
      if (masterKey && plaintext.length > 0) {
        // A database first served without a master key: its keys are sealed now, not left readable.
        const sealed = await Promise.all(plaintext.map(async (r) => ({ kid: r.kid, privateKey: await sealPrivateKey(JSON.parse(r.privateKey) as JWK, r.kid, masterKey) })))
        await store.sealSigningKeys(sealed, auditFor('key.seal', null, { kids: sealed.map((k) => k.kid) }))
        records = await store.listSigningKeys()
      }
      const retireAt = await this.#retirements(records)
      const now = this.options.clock()
      const due = records.filter((r) => (r.status === 'RETIRING' && (retireAt.get(r.kid) as number) <= now) || (r.status === 'RETIRED' && r.privateKey !== '')).map((r) => r.kid)
      if (due.length > 0) {
        await store.retireSigningKeys(due, auditFor('key.retire', null, { kids: due }))
        records = await store.listSigningKeys()
      }
      await this.#load(records, retireAt)
    })
  }

  /** Refreshes every `intervalMs`, so a rotation by another process is picked up and revoked JWTs release their keys. */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    this.#timer = setInterval(() => this.refresh().catch(onError), intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /** The key that signs new tokens now: of the keys that verify, the one activated last. */
  activeKey(): { kid: string; alg: string; key: CryptoKey } {
    const now = this.options.clock()
    let best: LoadedKey | null = null
    for (const k of this.#keys.values()) {
      if (!k.signKey || k.activation > now || !this.#verifies(k)) continue
      if (!best || k.activation > best.activation || (k.activation === best.activation && (k.record.status === 'ACTIVE' || k.record.createdAt > best.record.createdAt))) best = k
    }
    if (!best?.signKey) throw new Error('the key ring holds no key that may sign now')
    return { kid: best.record.kid, alg: best.record.alg, key: best.signKey }
  }

  /** The key `kid` for signing a token recorded with it; refused once it may no longer verify. */
  signingKey(kid: string): { kid: string; alg: string; key: CryptoKey } {
    const loaded = this.#keys.get(kid)
    if (!loaded?.signKey || !this.#verifies(loaded)) throw new Error(`signing key ${kid} may no longer sign`)
    return { kid, alg: loaded.record.alg, key: loaded.signKey }
  }

  /** The public key for `kid` if it may verify now (ACTIVE, or RETIRING before its retirement); else null. */
  verificationKey(kid: string): { alg: string; key: CryptoKey } | null {
    const loaded = this.#keys.get(kid)
    if (!loaded || !this.#verifies(loaded)) return null
    return { alg: loaded.record.alg, key: loaded.verifyKey }
  }

  /** Algorithms of the keys that verify now: the allowlist handed to the verifier. */
  algorithms(): string[] {
    return [...new Set([...this.#keys.values()].filter((k) => this.#verifies(k)).map((k) => k.record.alg))]
  }

  /** Public JWKs of the keys that verify now, including keys published ahead of signing. */
  jwks(): JWK[] {
    return [...this.#keys.values()].filter((k) => this.#verifies(k)).map((k) => k.publicJwk)
  }

  async list(): Promise<SigningKeyInfo[]> {
    const now = this.options.clock()
    return (await this.options.store.listSigningKeys()).map(({ kid, alg, status, createdAt, retireAfter, activatesAt }) => {
      const retireAt = this.#keys.get(kid)?.retireAt ?? retireAfter
      // A RETIRING key past its time is RETIRED already, whether or not a refresh has written it down.
      return {
        kid,
        alg,
        status: status === 'RETIRING' && retireAt !== null && retireAt <= now ? 'RETIRED' : status,
        createdAt,
        retireAfter: status === 'ACTIVE' ? null : retireAt,
        activatesAt,
      }
    })
  }

  isSupported(alg: string): boolean {
    return isSigningAlgorithm(alg)
  }

  /**
   * A new key. Normally it is published now and signs after the activation delay, the current key
   * signing meanwhile. `revokeOld` (an emergency: a key is compromised) makes it sign at once,
   * retires every other key at once and revokes the JWTs they signed.
   */
  async rotate(alg: string | null, audit: AuditEventInput, revokeOld = false, guard?: WriteGuard): Promise<SigningKeyInfo> {
    const chosen = alg ?? DEFAULT_SIGNING_ALGORITHM
    if (!isSigningAlgorithm(chosen)) throw new Error(`unsupported signing algorithm ${chosen}`)
    return this.#serial(async () => {
      const now = this.options.clock()
      const key = await generateSigningKey(chosen, now, this.options.masterKey)
      key.activatesAt = revokeOld || this.options.activationDelayMs === 0 ? null : now + this.options.activationDelayMs
      // An upper bound, tightened at every refresh from the JWTs the old key actually signed.
      const retireAfter = (key.activatesAt ?? now) + this.options.maxJwtLifetimeMs + CLOCK_TOLERANCE_S * 1000
      const details = { ...audit.details, alg: chosen, activatesAt: key.activatesAt, revokeOld, ...(revokeOld ? {} : { retireAfter }) }
      const emergency = revokeOld ? { at: now, reason: 'the key that signed it was retired by an emergency rotation' } : undefined
      await this.options.store.insertSigningKey(key, retireAfter, { ...audit, target: key.kid, details }, emergency, guard)
      const records = await this.options.store.listSigningKeys()
      await this.#load(records, await this.#retirements(records))
      return { kid: key.kid, alg: key.alg, status: key.status, createdAt: key.createdAt, retireAfter: null, activatesAt: key.activatesAt }
    })
  }

  /**
   * When each RETIRING key stops verifying: once no key activated after it is still to activate
   * (until then it may sign) and no unrevoked JWT it signed is usable, plus the clock tolerance;
   * never later than the bound stored at rotation. JWTs without a recorded kid (issued before
   * kids were recorded) count for every key.
   */
  async #retirements(records: SigningKeyRecord[]): Promise<Map<string, number>> {
    const out = new Map<string, number>()
    const retiring = records.filter((r) => r.status === 'RETIRING')
    if (retiring.length === 0) return out
    const expiries = await this.options.store.jwtExpiriesByKid(this.options.clock(), this.options.maxJwtLifetimeMs)
    const unrecorded = expiries.get(null) ?? 0
    for (const r of retiring) {
      // Its successors: keys made after it, activating after it, or ACTIVE (every ACTIVE key superseded it), whatever ties a clock makes.
      const later = records.filter((o) => o !== r && (o.createdAt > r.createdAt || (o.activatesAt ?? o.createdAt) > (r.activatesAt ?? r.createdAt) || o.status === 'ACTIVE'))
      const signsUntil = Math.min(...later.map((o) => o.activatesAt ?? o.createdAt), Number.MAX_SAFE_INTEGER)
      const computed = Math.max(signsUntil === Number.MAX_SAFE_INTEGER ? 0 : signsUntil, expiries.get(r.kid) ?? 0, unrecorded) + CLOCK_TOLERANCE_S * 1000
      out.set(r.kid, r.retireAfter === null ? computed : Math.min(r.retireAfter, computed))
    }
    return out
  }

  #verifies(key: LoadedKey): boolean {
    if (key.record.status === 'ACTIVE') return true
    return key.record.status === 'RETIRING' && key.retireAt !== null && key.retireAt > this.options.clock()
  }

  async #load(records: SigningKeyRecord[], retireAt: Map<string, number>): Promise<void> {
    const keys = new Map<string, LoadedKey>()
    for (const record of records) {
      if (record.status === 'RETIRED') continue
      const publicJwk = JSON.parse(record.publicJwk) as JWK
      const previous = this.#keys.get(record.kid)
      const verifyKey = previous?.verifyKey ?? ((await importJWK(publicJwk, record.alg)) as CryptoKey)
      // Every published key may sign (a RETIRING one until its successor activates): each is opened, so a wrong master key stops the start.
      const signKey = previous?.signKey ?? ((await importJWK(await openPrivateKey(record.privateKey, record.kid, this.options.masterKey), record.alg)) as CryptoKey)
      keys.set(record.kid, { record, publicJwk, verifyKey, signKey, activation: record.activatesAt ?? record.createdAt, retireAt: retireAt.get(record.kid) ?? null })
    }
    this.#keys = keys
  }

  /** Runs changes one at a time, so two rotations never interleave. */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task)
    this.#queue = run.catch(() => undefined)
    return run
  }
}
