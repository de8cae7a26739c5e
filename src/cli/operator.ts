import { operatorActor as actorOfOperator, operatorCall as callOfOperator, type Call, type OperatorActor } from '../domain/actor.js'

/**
 * Who the command line acts as, in the form the domain functions take it: the operator (the OS
 * user and host, recorded as the audit actor `operator:<user>@<host>`). The one place the CLI
 * builds its caller.
 */
export function operatorCall(): Call<OperatorActor> {
  return callOfOperator()
}

/** The caller argument of the read-only domain functions. */
export function operatorActor(): OperatorActor {
  return actorOfOperator()
}

/** The operator's name as the audit log records it: the OS user and host. */
export function operatorName(): string {
  return actorOfOperator().name
}
