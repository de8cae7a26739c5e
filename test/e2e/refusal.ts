// Helpers for attack tests: a refusal is only a refusal when it names its reason and changed nothing.
import assert from 'node:assert/strict'
import { auditCount, tokenCount, type GraphQLResult, type TestServer } from './harness.js'

/** The single error of a refused request: asserts exactly one error with `code`, and returns it. */
export function onlyError(result: GraphQLResult, code: string): { message: string; path?: (string | number)[]; extensions?: Record<string, any> } {
  const errors = result.body.errors ?? []
  assert.equal(errors.length, 1, `expected exactly one error, got ${JSON.stringify(result.body)}`)
  const error = errors[0] as NonNullable<(typeof errors)[0]>
  assert.equal(error.extensions?.code, code, `expected ${code}, got ${JSON.stringify(error)}`)
  return error
}

/**
 * Runs `attempt`, asserts it was refused with `code`, and that neither the audit log nor the token
 * table changed: nothing was written. Returns the error for further assertions.
 */
export async function expectRefused(server: TestServer, attempt: () => Promise<GraphQLResult>, code: string) {
  const audits = await auditCount(server)
  const tokens = await tokenCount(server)
  const result = await attempt()
  const error = onlyError(result, code)
  assert.equal(await auditCount(server), audits, 'a refused request wrote an audit event')
  assert.equal(await tokenCount(server), tokens, 'a refused request created a token')
  return { error, result }
}

/** A raw POST to /graphql: for requests the `gql` helper cannot express. */
export async function post(server: TestServer, body: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}
