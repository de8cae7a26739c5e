import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from '../logger.js'
import type { SubscriptionServer, SubscriptionServerOptions } from './subscriptions.js'

/**
 * The WebSocket endpoint (src/http/subscriptions.ts), loaded on the first upgrade request: a
 * server that never receives one never loads `ws` and `graphql-ws`, builds the schema with the
 * Subscription root or starts the event feed (`options` is called then). The first upgrade is
 * handed to the endpoint once it is attached, and is answered exactly as any later one.
 */
export function deferSubscriptions(server: Server, options: () => SubscriptionServerOptions, logger: Logger): SubscriptionServer {
  let attached: Promise<SubscriptionServer | null> | null = null
  // Upgrades that arrive while the endpoint loads wait for it (without a listener, Node would close their sockets).
  const waiting: [IncomingMessage, Duplex, Buffer][] = []
  const onEarlyUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    waiting.push([req, socket, head])
    attached ??= import('./subscriptions.js')
      .then(({ attachSubscriptions }) => attachSubscriptions(server, options()))
      .then(
        (endpoint) => {
          server.off('upgrade', onEarlyUpgrade)
          for (const [r, s, h] of waiting.splice(0)) {
            try {
              server.emit('upgrade', r, s, h)
            } catch (err) {
              logger.error({ err }, 'subscription upgrade failed')
              s.destroy()
            }
          }
          return endpoint
        },
        (err: unknown) => {
          // Logged once; later upgrades find no listener, and Node closes their sockets.
          logger.error({ err }, 'subscription endpoint failed to load')
          server.off('upgrade', onEarlyUpgrade)
          for (const [, s] of waiting.splice(0)) s.destroy()
          return null
        },
      )
  }
  server.on('upgrade', onEarlyUpgrade)
  return {
    async close() {
      server.off('upgrade', onEarlyUpgrade)
      await (await attached)?.close()
    },
  }
}
