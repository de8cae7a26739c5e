import { badInput } from '../errors.js'
import { findMalformedText, holdsMalformedText } from '../text.js'

/**
 * Wraps a store so that every method refuses, as BAD_USER_INPUT, an argument holding NUL or an
 * unpaired surrogate, before any SQL runs: PostgreSQL would fail on NUL (a 500) where SQLite
 * stores it, and each driver replaces lone surrogates differently. Both stores answer alike.
 * Methods run on the store itself (its private fields stay reachable).
 */
export function refuseMalformedText<T extends object>(store: T): T {
  const wrapped = new Map<PropertyKey, unknown>()
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown
      if (typeof value !== 'function' || property === 'constructor') return value
      let guarded = wrapped.get(property)
      if (guarded === undefined) {
        const method = value as (...args: unknown[]) => unknown
        guarded = (...args: unknown[]): unknown => {
          // The common case (nothing malformed) is checked without building a path per value.
          const bad = holdsMalformedText(args) ? findMalformedText(args, '') : null
          if (bad) return Promise.reject(badInput('input', `input: a value ${bad.problem}`))
          return method.apply(target, args)
        }
        wrapped.set(property, guarded)
      }
      return guarded
    },
  })
}
