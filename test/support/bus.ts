import type { EventBus } from '../../src/services/event-bus.js';
import type { StreamEvent } from '../../src/services/event-log.js';

/** Wraps a bus so that the publishes `lost` picks vanish on the way, as in a Redis blip. */
export const losingPublishes =
  (lost: (event: StreamEvent) => boolean) =>
  (bus: EventBus): EventBus => ({
    publish: (channel, payload) => (lost(payload as StreamEvent) ? Promise.resolve() : bus.publish(channel, payload)),
    subscribe: bus.subscribe.bind(bus),
    onReconnect: bus.onReconnect.bind(bus),
    ping: bus.ping.bind(bus),
    close: bus.close.bind(bus),
  });
