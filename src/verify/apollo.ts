import { bearerToken, unmapped } from './bearer.js'
import type { Verification, Verifier, VerifyOptions } from './create-verifier.js'

/** What Apollo Server's integrations hand the context function: a request with headers (Express, Fastify, standalone alike). */
interface ContextArgument {
  req: { headers: Record<string, string | string[] | undefined>; ip?: string | undefined; socket?: { remoteAddress?: string | undefined } }
}

/**
 * An Apollo Server `context` function: `{ auth }`, the Verification of the request's bearer token
 * (valid or not, with its code), or null when it brought none. It refuses nothing itself: a
 * resolver (or `@scopeward/directives`, with `scopesOf: (ctx) => ctx.auth?.valid ? ctx.auth.scopes : null`)
 * decides what each field needs. Throws VerifierError when Scopeward cannot be reached, which
 * Apollo answers as an error: fail closed.
 */
export function verifyContext(verifier: Verifier, options: Pick<VerifyOptions, 'requiredScopes'> & { clientAddress?: (arg: ContextArgument) => string | undefined } = {}) {
  return async (arg: ContextArgument): Promise<{ auth: Verification | null }> => {
    const token = bearerToken(arg.req.headers.authorization)
    if (token === null) return { auth: null }
    const clientAddress = options.clientAddress ? options.clientAddress(arg) : (arg.req.ip ?? arg.req.socket?.remoteAddress)
    const auth = await verifier.verify(token, {
      ...(options.requiredScopes ? { requiredScopes: options.requiredScopes } : {}),
      ...(clientAddress ? { clientAddress: unmapped(clientAddress) } : {}),
    })
    return { auth }
  }
}
