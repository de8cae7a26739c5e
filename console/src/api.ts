// The console is a GraphQL client of Scopeward's own API, with the signed-in token.
import type { TypedDocumentString } from './gql/graphql'

const KEY = 'scopeward.console.token'
let token: string | null = sessionStorage.getItem(KEY)

/** The token lives in memory and in sessionStorage (this tab only), never in localStorage, cookies or URLs. */
export const session = {
  get token(): string | null {
    return token
  },
  signIn(value: string): void {
    token = value
    sessionStorage.setItem(KEY, value)
  },
  signOut(): void {
    token = null
    sessionStorage.removeItem(KEY)
  },
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

/** Called when the server refuses the token itself (401): the app returns to the sign-in page with the reason. */
let onUnauthenticated: (reason: string) => void = () => {}
export function setUnauthenticatedHandler(handler: (reason: string) => void): void {
  onUnauthenticated = handler
}

/**
 * A response's data with its root fields non-null. Protected root fields are nullable (a denial yields
 * partial data), but `request` throws on any error, so a field nulled by a denial never reaches a page.
 */
export type Answered<R> = { [K in keyof R]: NonNullable<R[K]> }

export async function request<R, V>(document: TypedDocumentString<R, V>, variables?: V, bearer: string | null = token): Promise<Answered<R>> {
  let res: Response
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query: document.toString(), variables }),
      credentials: 'omit',
      cache: 'no-store',
    })
  } catch {
    throw new ApiError('The server could not be reached.', 0, undefined)
  }
  let body: { data?: R; errors?: { message: string; extensions?: Record<string, unknown> }[] }
  try {
    body = (await res.json()) as typeof body
  } catch {
    throw new ApiError(`The server answered ${res.status} without a GraphQL response.`, res.status, undefined)
  }
  const first = body.errors?.[0]
  if (res.status === 401 && bearer === token && token !== null) onUnauthenticated(first?.message ?? 'Your token is no longer valid.')
  if (first) throw new ApiError(first.message, res.status, first.extensions?.code as string | undefined, first.extensions ?? {})
  return body.data as Answered<R>
}
