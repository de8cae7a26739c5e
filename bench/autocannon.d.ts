// autocannon 9 ships no type declarations; the orchestrator uses only its promise API.
declare module 'autocannon' {
  interface Histogram {
    average: number
    mean: number
    p50: number
    p99: number
    [k: string]: number
  }
  export interface Result {
    '2xx': number
    non2xx: number
    errors: number
    timeouts: number
    latency: Histogram
    requests: Histogram & { sent: number; total: number }
    duration: number
  }
  export interface Options {
    url: string
    method?: string
    headers?: Record<string, string>
    body?: string
    connections?: number
    pipelining?: number
    duration?: number
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
