// The entity types the command line prints, named once here: where they are imported from is a
// change to this file only.
export type { AppRecord, AuditEventRecord, ClientSecretRecord, ScopeRecord, TokenRecord, TokenStatus } from '../domain/model.js'
export type { SigningKeyInfo } from '../domain/signing-keys.js'
