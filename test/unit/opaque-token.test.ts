import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { checksum, generateOpaqueToken, hashSecret, OPAQUE_LENGTH, parseOpaqueToken, secretMatches } from '../../src/tokens/opaque-token.js'
import { encodeBase62, randomBase62 } from '../../src/tokens/base62.js'

describe('opaque token format', () => {
  test('is swt_ + 16 id + 32 secret + 6 checksum characters, all [A-Za-z0-9_]', () => {
    for (let i = 0; i < 200; i++) {
      const t = generateOpaqueToken()
      assert.equal(t.plaintext.length, OPAQUE_LENGTH)
      assert.match(t.plaintext, /^swt_[A-Za-z0-9]{54}$/)
      assert.equal(t.plaintext.slice(4, 20), t.id)
      assert.equal(t.plaintext.slice(20, 52), t.secret)
    }
  })

  test('parses its own tokens back into id and secret', () => {
    const t = generateOpaqueToken()
    assert.deepEqual(parseOpaqueToken(t.plaintext), { id: t.id, secret: t.secret })
  })

  test('refuses every single-character typo through the checksum', () => {
    const t = generateOpaqueToken()
    for (let i = 4; i < t.plaintext.length; i++) {
      const c = t.plaintext[i] === 'a' ? 'b' : 'a'
      const typo = t.plaintext.slice(0, i) + c + t.plaintext.slice(i + 1)
      assert.equal(parseOpaqueToken(typo), null, `typo at ${i} accepted`)
    }
  })

  test('refuses wrong prefix, length, alphabet and surrounding whitespace', () => {
    const t = generateOpaqueToken().plaintext
    for (const bad of [
      '',
      'swt_',
      t.slice(0, -1),
      `${t}A`,
      `SWT_${t.slice(4)}`,
      `ghp_${t.slice(4)}`,
      ` ${t}`,
      `${t}\n`,
      t.replace(/.$/, '-'),
      t.slice(0, 10) + 'é' + t.slice(11),
    ]) {
      assert.equal(parseOpaqueToken(bad), null, JSON.stringify(bad))
    }
  })

  test('checksum is the CRC32 of the body in 6 base62 digits', () => {
    assert.equal(checksum('swt_'), checksum('swt_'))
    assert.equal(checksum('abc').length, 6)
    assert.equal(encodeBase62(0, 6), '000000')
    assert.equal(encodeBase62(2 ** 32 - 1, 6), '4gfFC3')
  })

  test('random ids are uniform enough that 10,000 draws never collide', () => {
    const seen = new Set(Array.from({ length: 10_000 }, () => randomBase62(16)))
    assert.equal(seen.size, 10_000)
  })

  test('compares secrets against the stored SHA-256 hash, refusing any other secret', () => {
    const t = generateOpaqueToken()
    const stored = hashSecret(t.secret)
    assert.match(stored, /^[0-9a-f]{64}$/)
    assert.equal(secretMatches(t.secret, stored), true)
    assert.equal(secretMatches(generateOpaqueToken().secret, stored), false)
    assert.equal(secretMatches(t.secret, 'not-a-hash'), false)
  })
})
