import type { PubSubEngine } from 'graphql-subscriptions';
import type { EventBus } from '../services/event-bus.js';

interface Connection {
  ping(): Promise<boolean>;
  close(): Promise<void>;
  onReconnect(listener: () => void): void;
}

/** Both adapters are a PubSubEngine (graphql-subscriptions' in-process one, or graphql-redis-subscriptions'). */
export class EngineBus implements EventBus {
  constructor(
    private readonly engine: PubSubEngine,
    private readonly connection: Connection,
  ) {}

  publish(channel: string, payload: unknown): Promise<void> {
    return this.engine.publish(channel, payload);
  }

  async subscribe(channel: string, onMessage: (payload: unknown) => void): Promise<() => void> {
    const id = await this.engine.subscribe(channel, onMessage, {});
    return () => void this.engine.unsubscribe(id);
  }

  onReconnect(listener: () => void): void {
    this.connection.onReconnect(listener);
  }

  ping(): Promise<boolean> {
    return this.connection.ping();
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
