// scopeward/verify: token verification for resource servers (README.md beside this file). It
// imports nothing of the server: only jose, lru-cache and Node built-ins.
export { createVerifier, VerifierError, type Verifier, type VerifierOptions, type VerifierCredentials, type Verification, type VerifyOptions } from './create-verifier.js'
export { requireToken, type MiddlewareOptions } from './express.js'
export { verifyHook } from './fastify.js'
export { verifyContext } from './apollo.js'
export { bearerToken, refusalOf, type Refusal } from './bearer.js'
