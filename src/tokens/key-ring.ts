import { importJWK, type CryptoKey, type JWK } from 'jose'
import type { Clock } from '../clock.js'
import type { SigningKeyInfo, SigningKeys } from '../domain/signing-keys.js'
import type { AuditEventInput, SigningKeyRecord, Store, WriteGuard } from '../store/store.js'
import { DEFAULT_SIGNING_ALGORITHM, generateSigningKey, isSigningAlgorithm } from './generate-signing-key.js'
import { openPrivateKey } from './seal-private-key.js'

/** Leeway granted to verifiers' clocks; a RETIRING key lives this much past the last expiry it signed. */
export const CLOCK_TOLERANCE_S = 5

interface LoadedKey {
  record: SigningKeyRecord
  publicJwk: JWK
  verifyKey: CryptoKey
  signKey: CryptoKey | null
}

export interface KeyRingOptions {
  store: Store
  clock: Clock
  masterKey: Uint8Array | null
  /** The longest lifetime a JWT gets by default: the least time an old key keeps verifying after rotation. */
  jwtLifetimeMs: number
  /** Audit events for changes the ring makes on its own (first key, retirement). */
  auditFor: (action: string, target: string | null, details: Record<string, unknown>) => AuditEventInput
}

/**
 * The signing keys in memory, by kid. One ACTIVE key signs; RETIRING keys verify until their
 * `retireAfter`, then become RETIRED and leave the JWKS. Verification looks keys up here only,
 * never in the database or anywhere a token header points to.
 */
export class KeyRing implements SigningKeys {
  #keys = new Map<string, LoadedKey>()
  #active: LoadedKey | null = null
  #queue: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined

  constructor(private readonly options: KeyRingOptions) {}

  /** Reads the keys from the store (creating the first one on an empty store) and retires keys past their time. */
  async refresh(): Promise<void> {
    await this.#serial(async () => {
      let records = await this.options.store.listSigningKeys()
      if (!records.some((r) => r.status === 'ACTIVE')) {
        const key = await generateSigningKey(DEFAULT_SIGNING_ALGORITHM, this.options.clock(), this.options.masterKey)
        await this.options.store.insertSigningKey(key, this.#retireAfter(null), this.options.auditFor('key.create', key.kid, { alg: key.alg }))
        records = await this.options.store.listSigningKeys()
      }
      const now = this.options.clock()
      const due = records.filter((r) => r.status === 'RETIRING' && r.retireAfter !== null && r.retireAfter <= now).map((r) => r.kid)
      if (due.length > 0) {
        await this.options.store.retireSigningKeys(due, this.options.auditFor('key.retire', null, { kids: due }))
        records = await this.options.store.listSigningKeys()
      }
      await this.#load(records)
    })
  }

  /** Refreshes every `intervalMs`, so a rotation made by another process (`scopeward keys rotate`) is picked up. */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    this.#timer = setInterval(() => this.refresh().catch(onError), intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /** The key that signs new tokens. */
  activeKey(): { kid: string; alg: string; key: CryptoKey } {
    const active = this.#active
    if (!active?.signKey) throw new Error('the key ring is not loaded')
    return { kid: active.record.kid, alg: active.record.alg, key: active.signKey }
  }

  /** The public key for `kid` if it may verify now (ACTIVE, or RETIRING before its retireAfter); else null. */
  verificationKey(kid: string): { alg: string; key: CryptoKey } | null {
    const loaded = this.#keys.get(kid)
    if (!loaded || !this.#verifies(loaded.record)) return null
    return { alg: loaded.record.alg, key: loaded.verifyKey }
  }

  /** Algorithms of the keys that verify now: the allowlist handed to the verifier. */
  algorithms(): string[] {
    return [...new Set([...this.#keys.values()].filter((k) => this.#verifies(k.record)).map((k) => k.record.alg))]
  }

  /** Public JWKs of the keys that verify now. */
  jwks(): JWK[] {
    return [...this.#keys.values()].filter((k) => this.#verifies(k.record)).map((k) => k.publicJwk)
  }

  async list(): Promise<SigningKeyInfo[]> {
    const now = this.options.clock()
    return (await this.options.store.listSigningKeys()).map(({ kid, alg, status, createdAt, retireAfter }) => ({
      kid,
      alg,
      // A RETIRING key past its time is RETIRED already, whether or not a refresh has written it down.
      status: status === 'RETIRING' && retireAfter !== null && retireAfter <= now ? 'RETIRED' : status,
      createdAt,
      retireAfter,
    }))
  }

  isSupported(alg: string): boolean {
    return isSigningAlgorithm(alg)
  }

  async rotate(alg: string | null, audit: AuditEventInput, guard?: WriteGuard): Promise<SigningKeyInfo> {
    const chosen = alg ?? DEFAULT_SIGNING_ALGORITHM
    if (!isSigningAlgorithm(chosen)) throw new Error(`unsupported signing algorithm ${chosen}`)
    return this.#serial(async () => {
      const key = await generateSigningKey(chosen, this.options.clock(), this.options.masterKey)
      const retireAfter = this.#retireAfter(await this.options.store.latestJwtExpiry())
      await this.options.store.insertSigningKey(key, retireAfter, { ...audit, target: key.kid, details: { ...audit.details, alg: chosen, retireAfter } }, guard)
      await this.#load(await this.options.store.listSigningKeys())
      return { kid: key.kid, alg: key.alg, status: key.status, createdAt: key.createdAt, retireAfter: null }
    })
  }

  /** An old key must verify every token it may have signed: the default JWT lifetime from now, or the latest JWT expiry if later. */
  #retireAfter(latestExpiry: number | null): number {
    const now = this.options.clock()
    return Math.max(now + this.options.jwtLifetimeMs, latestExpiry ?? 0) + CLOCK_TOLERANCE_S * 1000
  }

  #verifies(record: SigningKeyRecord): boolean {
    if (record.status === 'ACTIVE') return true
    return record.status === 'RETIRING' && record.retireAfter !== null && record.retireAfter > this.options.clock()
  }

  async #load(records: SigningKeyRecord[]): Promise<void> {
    const keys = new Map<string, LoadedKey>()
    let active: LoadedKey | null = null
    for (const record of records) {
      if (record.status === 'RETIRED') continue
      const publicJwk = JSON.parse(record.publicJwk) as JWK
      const previous = this.#keys.get(record.kid)
      const verifyKey = previous?.verifyKey ?? ((await importJWK(publicJwk, record.alg)) as CryptoKey)
      let signKey: CryptoKey | null = null
      if (record.status === 'ACTIVE') {
        signKey = previous?.signKey ?? ((await importJWK(await openPrivateKey(record.privateKey, record.kid, this.options.masterKey), record.alg)) as CryptoKey)
      }
      const loaded = { record, publicJwk, verifyKey, signKey }
      keys.set(record.kid, loaded)
      if (record.status === 'ACTIVE' && (!active || record.createdAt >= active.record.createdAt)) active = loaded
    }
    this.#keys = keys
    this.#active = active
  }

  /** Runs changes one at a time, so two rotations never interleave. */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task)
    this.#queue = run.catch(() => undefined)
    return run
  }
}
