/** The source of "now", in epoch milliseconds: passed in so tests can freeze or advance time. */
export type Clock = () => number

export const systemClock: Clock = () => Date.now()
