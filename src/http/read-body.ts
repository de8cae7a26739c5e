/** A request body the server refuses before any route logic: 413 past the limit, 400 when unreadable. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message)
  }
}

/** Parses a JSON body, or a 400 naming the problem. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new BodyError(400, 'request body is not valid JSON')
  }
}
