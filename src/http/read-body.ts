import type { IncomingMessage } from 'node:http'
import { BodyError } from '../errors.js'

export { BodyError }

/** Reads a request body up to `limit` bytes; a larger body is refused with 413 before it is buffered whole. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) throw new BodyError(413, `request body exceeds ${limit} bytes`)
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > limit) throw new BodyError(413, `request body exceeds ${limit} bytes`)
      chunks.push(chunk as Buffer)
    }
  } catch (error) {
    if (error instanceof BodyError) throw error
    // The client went away mid-body: its mistake (a 4xx, logged as a request), not a server error.
    throw new BodyError(400, 'the request body was cut off before its end')
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Parses a JSON body, or a 400 naming the problem. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new BodyError(400, 'request body is not valid JSON')
  }
}
