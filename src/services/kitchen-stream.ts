import { NotFoundError } from '../domain/errors.js';
import { concernsStation, type OrderSnapshot, type StationSnapshot } from '../domain/order-snapshot.js';
import type { KitchenEventKind, OrderStatus } from '../domain/vocabulary.js';
import type { OrderEvent, StreamEvent } from './event-log.js';
import type { EventStream } from './event-stream.js';
import type { OrderReader } from './order-reader.js';

/** What a screen receives: one committed order event, or (first) the whole live queue. */
export interface QueueItem {
  kind: KitchenEventKind;
  sequence: number;
  at: string;
  order: OrderSnapshot | null;
  previousStatus: OrderStatus | null;
  /** Set on SNAPSHOT only. A committed event is its own item: the feed hands every screen the same object. */
  orders?: OrderSnapshot[] | null;
}

const isOrderEvent = (event: StreamEvent): event is OrderEvent => event.subject === 'ORDER';

/** The kitchen's subscriptions on the restaurant's stream: the order events, filtered per screen. */
export class KitchenStream {
  constructor(
    private readonly events: EventStream,
    private readonly reader: OrderReader,
  ) {}

  /** A SNAPSHOT (or the replay after `after`), then every change; with a station, the orders that concern it. */
  kitchenQueue(
    restaurantId: string,
    { after, station }: { after?: number; station?: StationSnapshot | null },
  ): AsyncIterableIterator<QueueItem> {
    return this.events.subscribe<OrderEvent, QueueItem>(restaurantId, {
      after,
      accepts: (event): event is OrderEvent => isOrderEvent(event) && (!station || concernsStation(event.order, station)),
      start: async () => {
        const queue = await this.reader.queueSnapshot(restaurantId, station ?? null);
        if (!queue) throw new NotFoundError('Restaurant');
        const { sequence, orders } = queue;
        const at = new Date().toISOString();
        return { head: [{ kind: 'SNAPSHOT', sequence, at, order: null, previousStatus: null, orders }], upTo: sequence };
      },
    });
  }

  /** The changes of one order that commit from now on. */
  async orderChanges(restaurantId: string, orderId: string): Promise<AsyncIterableIterator<QueueItem>> {
    if (!(await this.reader.order(restaurantId, orderId))) throw new NotFoundError('Order');
    return this.events.subscribe<OrderEvent, QueueItem>(restaurantId, {
      accepts: (event): event is OrderEvent => isOrderEvent(event) && event.subjectId === orderId,
      start: async () => ({ head: [], upTo: (await this.events.currentSequence(restaurantId)) ?? 0 }),
    });
  }
}
