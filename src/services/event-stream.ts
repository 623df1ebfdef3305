import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AsyncQueue } from './async-queue.js';
import type { EventBus } from './event-bus.js';
import {
  appendEvent,
  currentSequence,
  eventsAfter,
  pruneEvents,
  type EventPublisher,
  type NewEvent,
  type StreamEvent,
} from './event-log.js';
import { RestaurantFeed } from './restaurant-feed.js';

export interface EventStreamOptions {
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

/**
 * One subscription's view of the restaurant's stream. Its cursors are the stream's sequences,
 * so a cursor resumes any subscription whose events it was taken from.
 */
export interface Subscription<E extends StreamEvent, Head> {
  /** The cursor's sequence to resume after; a cursor that cannot be resumed falls back to `start`. */
  after?: number;
  /** The events it delivers (its kinds, its filters): the same test live and on replay. */
  accepts(event: StreamEvent): event is E;
  /** What it begins with when it does not resume (its SNAPSHOT, or nothing) and the sequence that covers. */
  start(): Promise<{ head: Head[]; upTo: number }>;
}

/** A change's transaction, with the log at hand: what `append` adds is published once it commits. */
export interface EventTransaction {
  em: EntityManager;
  append(restaurantId: string, event: NewEvent): Promise<StreamEvent>;
}

interface FeedEntry {
  feed: RestaurantFeed;
  ready: Promise<void>;
  refs: number;
  linger?: NodeJS.Timeout;
}

/**
 * The restaurant's one event stream, whatever the events are about. Changes append to it in
 * their transaction and publish after the commit; every subscription runs the same steps:
 * attach to the restaurant's feed, then read its start (a SNAPSHOT) or its replay after a
 * cursor, then drop what that read covered by sequence: no gap, no duplicate, in order.
 */
export class EventStream implements EventPublisher {
  private readonly feeds = new Map<string, FeedEntry>();
  private readonly options: Required<EventStreamOptions>;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: EventBus,
    options: EventStreamOptions = {},
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

  /** Hands a committed event to the bus. Never fails the change: a lost publish is filled from the table. */
  async publish(event: StreamEvent): Promise<void> {
    this.bus.publish(channelOf(event.restaurantId), event).catch(this.options.onError);
  }

  /**
   * Runs `change` in one transaction; the events it appends are published after the commit, in
   * sequence order. A change that throws appends nothing and publishes nothing.
   */
  async transaction<T>(change: (tx: EventTransaction) => Promise<T>): Promise<T> {
    const appended: StreamEvent[] = [];
    const result = await this.em().transactional((em: EntityManager) =>
      change({
        em,
        append: async (restaurantId, event) => {
          const stored = await appendEvent(em, restaurantId, event);
          appended.push(stored);
          return stored;
        },
      }),
    );
    for (const event of appended) await this.publish(event);
    return result;
  }

  async currentSequence(restaurantId: string): Promise<number | null> {
    return currentSequence(this.em(), restaurantId);
  }

  /** The subscription's start or replay, then its live events. */
  subscribe<E extends StreamEvent, Head>(restaurantId: string, subscription: Subscription<E, Head>): AsyncIterableIterator<E | Head> {
    const { accepts } = subscription;
    let entry: FeedEntry | undefined;
    let detach: (() => void) | undefined;
    const out = new AsyncQueue<E | Head>(() => {
      detach?.();
      if (entry) this.release(restaurantId, entry);
    }, this.options.maxBehind);

    void (async () => {
      try {
        const acquired = await this.acquire(restaurantId);
        if (out.closed) return this.release(restaurantId, acquired);
        entry = acquired;
        let upTo: number | undefined;
        const early: StreamEvent[] = [];
        detach = acquired.feed.attach((event) => {
          if (upTo === undefined) early.push(event);
          else if (event.sequence > upTo && accepts(event)) out.push(event);
        });
        const replay = subscription.after === undefined ? undefined : await this.replay(restaurantId, acquired.feed, subscription.after);
        const { head, upTo: covered } = replay
          ? { head: replay.events.filter(accepts), upTo: replay.upTo }
          : await subscription.start();
        for (const item of head) out.push(item);
        for (const event of early) if (event.sequence > covered && accepts(event)) out.push(event);
        upTo = covered;
      } catch (error) {
        out.fail(error);
      }
    })();
    return out;
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

  /** The events after a cursor: from memory when the feed still has them, else from the table. */
  private async replay(
    restaurantId: string,
    feed: RestaurantFeed,
    after: number,
  ): Promise<{ events: StreamEvent[]; upTo: number } | undefined> {
    const fromTail = feed.tailAfter(after);
    if (fromTail) return { events: fromTail, upTo: feed.position };
    const em = this.em();
    const current = await currentSequence(em, restaurantId);
    if (current === null || after > current) return undefined;
    const events: StreamEvent[] = [];
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

  private async acquire(restaurantId: string): Promise<FeedEntry> {
    let entry = this.feeds.get(restaurantId);
    if (!entry) {
      const feed = new RestaurantFeed(
        {
          subscribe: (onEvent) => this.bus.subscribe(channelOf(restaurantId), (payload) => onEvent(payload as StreamEvent)),
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
