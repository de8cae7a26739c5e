/**
 * Text no input may carry, whatever the field: NUL (PostgreSQL cannot store it, SQLite would) and
 * unpaired UTF-16 surrogates (not Unicode: each driver would store a different replacement).
 */
const MALFORMED = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Why `text` is not well-formed text, or null when it is. */
export function malformedText(text: string): string | null {
  const match = MALFORMED.exec(text)
  if (!match) return null
  return match[0] === '\u0000' ? 'contains a NUL character' : 'contains an unpaired UTF-16 surrogate (not valid Unicode)'
}

/** Whether any string inside `value` (as findMalformedText walks it) is malformed: the same walk, building no paths. */
export function holdsMalformedText(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return MALFORMED.test(value)
  if (depth > 6 || value === null || typeof value !== 'object') return false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (holdsMalformedText(value[i], depth + 1)) return true
    return false
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) return false
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    if (holdsMalformedText((value as Record<string, unknown>)[key], depth + 1) || MALFORMED.test(key)) return true
  }
  return false
}

/** The first malformed string inside `value` (strings, arrays and plain objects, a few levels deep), as `{ path, problem }`. */
export function findMalformedText(value: unknown, path: string, depth = 0): { path: string; problem: string } | null {
  if (typeof value === 'string') {
    const problem = malformedText(value)
    return problem ? { path, problem } : null
  }
  if (depth > 6 || value === null || typeof value !== 'object') return null
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findMalformedText(value[i], `${path}[${i}]`, depth + 1)
      if (found) return found
    }
    return null
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) return null
  for (const [key, item] of Object.entries(value)) {
    const found = findMalformedText(item, path ? `${path}.${key}` : key, depth + 1) ?? (malformedText(key) ? { path, problem: 'has a malformed key' } : null)
    if (found) return found
  }
  return null
}

/**
 * An opaque token or client secret (prefix, 16-character public id, then secret material), an
 * opaque token of any prefix an instance may be configured with (SCOPEWARD_TOKEN_PREFIX: exactly
 * 54 base62 characters after it), or a JWT.
 */
const SECRETS = /\b(sw[ts]_[0-9A-Za-z]{16})[0-9A-Za-z]+|\b([a-z][a-z0-9]{1,9}_[0-9A-Za-z]{16})[0-9A-Za-z]{38}\b|\beyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]*/g

/**
 * `text` with every credential in it cut down to what is public: an opaque token or client secret
 * keeps its prefix and id (`swt_<id>…`), a JWT becomes `[redacted JWT]`. For any text a client,
 * a log or a terminal may show: messages echoing an input must never echo a pasted secret.
 */
export function redactSecrets(text: string): string {
  return text.replace(SECRETS, (_match, known: string | undefined, custom: string | undefined) => {
    const publicPart = known ?? custom
    return publicPart ? `${publicPart}…[redacted]` : '[redacted JWT]'
  })
}
