import { badInput } from '../errors.js'

/** A required, trimmed, printable text input of bounded length; the error names the field. */
export function requireText(value: string | null | undefined, field: string, max = 200): string {
  const text = (value ?? '').trim()
  if (text.length === 0) throw badInput(field, `${field}: must not be empty`)
  return checkText(text, field, max)
}

/** An optional text input: null when absent or blank. */
export function optionalText(value: string | null | undefined, field: string, max = 1000): string | null {
  const text = (value ?? '').trim()
  return text.length === 0 ? null : checkText(text, field, max)
}

function checkText(text: string, field: string, max: number): string {
  if (text.length > max) throw badInput(field, `${field}: at most ${max} characters`)
  // Control characters would forge lines in logs and terminals.
  if (/[\u0000-\u001f\u007f]/.test(text)) throw badInput(field, `${field}: control characters are not allowed`)
  return text
}
