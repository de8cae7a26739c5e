import { BodyError } from '../errors.js'

export { BodyError }

/** Parses a JSON body, or a 400 naming the problem. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new BodyError(400, 'request body is not valid JSON')
  }
}
