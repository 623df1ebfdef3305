import { PubSub } from 'graphql-subscriptions';
import { EngineBus } from './engine-bus.js';

/** One instance, no Redis: events travel inside the process. */
export function createInProcessBus(): EngineBus {
  return new EngineBus(new PubSub(), {
    ping: async () => true,
    close: async () => {},
    onReconnect: () => {},
  });
}
