import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EngineBus } from './engine-bus.js';

/**
 * Any number of instances on one Redis. Publisher and subscriber are separate connections (a
 * subscribed connection can do nothing else). ioredis reconnects and resubscribes on its own;
 * while Redis is away publishes wait in its offline queue or fail, and the stream fills any
 * gap from PostgreSQL once the subscriber is back.
 */
export function createRedisBus(url: string, log: Logger): EngineBus {
  // No auto-pipelining: publishes come one per mutation, seldom two in a tick, so it batched
  // nothing, and its per-tick pipeline kept every publish's objects alive into the old generation
  // (in the benchmark's `tenants`: ~10% more CPU and a major GC every few seconds).
  const options = {
    lazyConnect: false,
    maxRetriesPerRequest: 3,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  };
  const publisher = new Redis(url, { ...options, connectionName: 'kds-publisher' });
  const subscriber = new Redis(url, { ...options, connectionName: 'kds-subscriber' });
  for (const [name, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    client.on('error', (error) => log.warn({ err: error.message, client: name }, 'redis connection error'));
  }
  const reconnectListeners: (() => void)[] = [];
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (connectedBefore) {
      // ioredis says ready before it re-sends SUBSCRIBE; a PING answered after it (Redis replies
      // in order) means the channels are live again, so a resync from then on misses nothing.
      setImmediate(() =>
        subscriber.ping().then(
          () => {
            log.info('redis subscriber is back: resyncing streams');
            for (const listener of reconnectListeners) listener();
          },
          (error: Error) => log.warn({ err: error.message }, 'redis subscriber ping failed'),
        ),
      );
    }
    connectedBefore = true;
  });
  return new EngineBus(new RedisPubSub({ publisher, subscriber }), {
    ping: async () => {
      try {
        return (await publisher.ping()) === 'PONG' && subscriber.status === 'ready';
      } catch {
        return false;
      }
    },
    close: async () => {
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
      publisher.disconnect();
      subscriber.disconnect();
    },
    onReconnect: (listener) => reconnectListeners.push(listener),
  });
}
