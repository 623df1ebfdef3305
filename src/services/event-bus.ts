/**
 * The port between the stream and whatever carries events between server instances.
 * Delivery is best effort: the stream detects what a bus loses by sequence and reads it back
 * from PostgreSQL, so no adapter needs to be reliable, only fast.
 */
export interface EventBus {
  publish(channel: string, payload: unknown): Promise<void>;
  /** Resolves once the subscription is active: messages published from then on arrive. */
  subscribe(channel: string, onMessage: (payload: unknown) => void): Promise<() => void>;
  /** Called after the bus lost its connection and got it back: what was sent meanwhile may be gone. */
  onReconnect(listener: () => void): void;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
