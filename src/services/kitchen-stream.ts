import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AsyncQueue } from './async-queue.js';
import { NotFoundError } from '../domain/errors.js';
import type { EventBus } from './event-bus.js';
import {
  currentSequence,
  eventsAfter,
  pruneEvents,
  type KitchenEventPublisher,
  type KitchenEventRecord,
} from './kitchen-event-log.js';
import type { OrderReader } from './order-reader.js';
import type { KitchenEventKind, OrderStatus } from '../domain/vocabulary.js';
import { concernsStation, type OrderSnapshot, type StationSnapshot } from '../domain/order-snapshot.js';
import { RestaurantFeed } from './restaurant-feed.js';

/** What a screen receives: one committed event, or (first) the whole live queue. */
export interface QueueItem {
  kind: KitchenEventKind;
  sequence: number;
  at: string;
  order: OrderSnapshot | null;
  previousStatus: OrderStatus | null;
  /** Set on SNAPSHOT only. A committed event is its own item: the feed hands every screen the same object. */
  orders?: OrderSnapshot[] | null;
}

export interface KitchenStreamOptions {
  /** Recent events per restaurant kept in memory, so resuming screens need no query. */
  tailSize?: number;
  gapWaitMs?: number;
  /** How long a feed outlives its last screen: screens that drop at once come back to a warm tail. */
  lingerMs?: number;
  /** Events a screen may leave unread before it is cut off (it resumes with its cursor). */
  maxBehind?: number;
  replayPageSize?: number;
  onError?: (error: unknown) => void;
}

interface FeedEntry {
  feed: RestaurantFeed;
  ready: Promise<void>;
  refs: number;
  linger?: NodeJS.Timeout;
}

/**
 * The live kitchen queue. Mutations publish committed events through it; screens follow it.
 * A screen attaches to its restaurant's feed before it reads its snapshot (or replay), then
 * drops what that read already covered by sequence: no gap, no duplicate, in order.
 */
export class KitchenStream implements KitchenEventPublisher {
  private readonly feeds = new Map<string, FeedEntry>();
  private readonly options: Required<KitchenStreamOptions>;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: EventBus,
    private readonly reader: OrderReader,
    options: KitchenStreamOptions = {},
  ) {
    this.options = {
      tailSize: 1000,
      gapWaitMs: 100,
      lingerMs: 30_000,
      maxBehind: 10_000,
      replayPageSize: 500,
      onError: () => {},
      ...options,
    };
    bus.onReconnect(() => {
      for (const { feed } of this.feeds.values()) void feed.catchUp();
    });
  }

  /** Hands a committed event to the bus. Never fails the mutation: a lost publish is filled from the table. */
  async publish(event: KitchenEventRecord): Promise<void> {
    this.bus.publish(channelOf(event.restaurantId), event).catch(this.options.onError);
  }

  /** A SNAPSHOT (or the replay after `after`), then every change; with a station, the orders that concern it. */
  kitchenQueue(
    restaurantId: string,
    { after, station }: { after?: number; station?: StationSnapshot | null },
  ): AsyncIterableIterator<QueueItem> {
    const accept = (order: OrderSnapshot) => !station || concernsStation(order, station);
    return this.follow(restaurantId, accept, async (feed) => {
      const replay = after === undefined ? undefined : await this.replay(restaurantId, feed, after);
      if (replay) return { head: replay.events.filter((e) => accept(e.order)), upTo: replay.upTo };
      const snapshot = await this.snapshot(restaurantId, station ?? null);
      return { head: [snapshot], upTo: snapshot.sequence };
    });
  }

  /** The changes of one order that commit from now on. */
  async orderChanges(restaurantId: string, orderId: string): Promise<AsyncIterableIterator<QueueItem>> {
    if (!(await this.reader.order(restaurantId, orderId))) {
      throw new NotFoundError('Order');
    }
    return this.follow(
      restaurantId,
      (order) => order.id === orderId,
      async () => ({ head: [], upTo: (await currentSequence(this.em(), restaurantId)) ?? 0 }),
    );
  }

  async prune(retentionHours: number): Promise<number> {
    return pruneEvents(this.em(), new Date(Date.now() - retentionHours * 3_600_000));
  }

  close(): void {
    for (const entry of this.feeds.values()) {
      clearTimeout(entry.linger);
      entry.feed.stop();
    }
    this.feeds.clear();
  }

  private follow(
    restaurantId: string,
    accept: (order: OrderSnapshot) => boolean,
    start: (feed: RestaurantFeed) => Promise<{ head: QueueItem[]; upTo: number }>,
  ): AsyncIterableIterator<QueueItem> {
    let entry: FeedEntry | undefined;
    let detach: (() => void) | undefined;
    const out = new AsyncQueue<QueueItem>(() => {
      detach?.();
      if (entry) this.release(restaurantId, entry);
    }, this.options.maxBehind);

    void (async () => {
      try {
        const acquired = await this.acquire(restaurantId);
        if (out.closed) return this.release(restaurantId, acquired);
        entry = acquired;
        let upTo: number | undefined;
        const early: KitchenEventRecord[] = [];
        detach = acquired.feed.attach((event) => {
          if (upTo === undefined) early.push(event);
          else if (event.sequence > upTo && accept(event.order)) out.push(event);
        });
        const { head, upTo: covered } = await start(acquired.feed);
        for (const item of head) out.push(item);
        for (const event of early) if (event.sequence > covered && accept(event.order)) out.push(event);
        upTo = covered;
      } catch (error) {
        out.fail(error);
      }
    })();
    return out;
  }

  /** The events after a cursor: from memory when the feed still has them, else from the table. */
  private async replay(
    restaurantId: string,
    feed: RestaurantFeed,
    after: number,
  ): Promise<{ events: KitchenEventRecord[]; upTo: number } | undefined> {
    const fromTail = feed.tailAfter(after);
    if (fromTail) return { events: fromTail, upTo: feed.position };
    const em = this.em();
    const current = await currentSequence(em, restaurantId);
    if (current === null || after > current) return undefined;
    const events: KitchenEventRecord[] = [];
    for (let from = after; ; ) {
      const page = await eventsAfter(em, restaurantId, from, this.options.replayPageSize);
      events.push(...page);
      if (page.length < this.options.replayPageSize) break;
      from = page.at(-1)!.sequence;
    }
    // The first event after the cursor was pruned: the cursor is too old to resume from.
    if (after < current && events[0]?.sequence !== after + 1) return undefined;
    return { events, upTo: events.at(-1)?.sequence ?? after };
  }

  /** The live queue and the sequence it reflects. */
  private async snapshot(restaurantId: string, station: StationSnapshot | null): Promise<QueueItem> {
    const queue = await this.reader.queueSnapshot(restaurantId, station);
    if (!queue) throw new NotFoundError('Restaurant');
    const { sequence, orders } = queue;
    return { kind: 'SNAPSHOT', sequence, at: new Date().toISOString(), order: null, previousStatus: null, orders };
  }

  private async acquire(restaurantId: string): Promise<FeedEntry> {
    let entry = this.feeds.get(restaurantId);
    if (!entry) {
      const feed = new RestaurantFeed(
        {
          subscribe: (onEvent) =>
            this.bus.subscribe(channelOf(restaurantId), (payload) => onEvent(payload as KitchenEventRecord)),
          currentSequence: async () => (await currentSequence(this.em(), restaurantId)) ?? 0,
          eventsAfter: (after) => eventsAfter(this.em(), restaurantId, after, this.options.replayPageSize),
        },
        { tailSize: this.options.tailSize, gapWaitMs: this.options.gapWaitMs, onError: this.options.onError },
      );
      const created: FeedEntry = { feed, ready: feed.start(), refs: 0 };
      entry = created;
      this.feeds.set(restaurantId, created);
      created.ready.catch(() => {
        feed.stop();
        if (this.feeds.get(restaurantId) === created) this.feeds.delete(restaurantId);
      });
    }
    entry.refs += 1;
    clearTimeout(entry.linger);
    entry.linger = undefined;
    try {
      await entry.ready;
    } catch (error) {
      entry.refs -= 1;
      throw error;
    }
    return entry;
  }

  private release(restaurantId: string, entry: FeedEntry): void {
    entry.refs -= 1;
    if (entry.refs > 0) return;
    entry.linger = setTimeout(() => {
      if (entry.refs > 0 || this.feeds.get(restaurantId) !== entry) return;
      entry.feed.stop();
      this.feeds.delete(restaurantId);
    }, this.options.lingerMs);
    entry.linger.unref();
  }

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }
}

/** Derived from the verified restaurant id only, never from client input. */
export const channelOf = (restaurantId: string) => `kds:restaurant:${restaurantId}:events`;
