import type { StreamEvent } from './event-log.js';

/** What a feed needs from the outside world: the bus and the event table. */
export interface FeedSource {
  subscribe(onEvent: (event: StreamEvent) => void): Promise<() => void>;
  currentSequence(): Promise<number>;
  eventsAfter(after: number): Promise<StreamEvent[]>;
}

export interface FeedOptions {
  /** How many recent events stay in memory for replay. */
  tailSize: number;
  /** How long an out-of-order event waits for the missing ones before they are read from the table. */
  gapWaitMs: number;
  onError(error: unknown): void;
}

/**
 * One restaurant's events on this instance, in sequence order with no gap, whatever order the bus
 * delivers them in or whether it delivers them at all: a missing sequence is read back from the
 * table. Every screen of the restaurant on this instance shares one feed and one bus subscription.
 */
export class RestaurantFeed {
  /** Everything up to here has been delivered to the listeners. */
  position = 0;
  private readonly tail: StreamEvent[] = [];
  private readonly early = new Map<number, StreamEvent>();
  private readonly listeners = new Set<(event: StreamEvent) => void>();
  private started = false;
  private stopped = false;
  private gapTimer: NodeJS.Timeout | undefined;
  private filling: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly source: FeedSource,
    private readonly options: FeedOptions,
  ) {}

  /** Subscribes before it reads the position, so nothing committed in between is missed. */
  async start(): Promise<void> {
    this.unsubscribe = await this.source.subscribe((event) => this.receive(event));
    this.position = await this.source.currentSequence();
    this.started = true;
    this.drain();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.gapTimer);
    this.unsubscribe?.();
    this.listeners.clear();
  }

  /** The listener gets every event after `position`, as of this call. */
  attach(listener: (event: StreamEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The events after `after` up to `position`, if they are all still in memory. */
  tailAfter(after: number): StreamEvent[] | undefined {
    if (after === this.position) return [];
    if (after > this.position) return undefined;
    const first = this.tail[0];
    if (!first || first.sequence > after + 1) return undefined;
    return this.tail.slice(after + 1 - first.sequence);
  }

  receive(event: StreamEvent): void {
    if (this.stopped || (this.started && event.sequence <= this.position)) return;
    this.early.set(event.sequence, event);
    if (this.started) this.drain();
  }

  /** Reads whatever the table has after `position`: after a bus outage, or to close a gap. */
  catchUp(): Promise<void> {
    this.filling ??= this.readMissing().finally(() => (this.filling = undefined));
    return this.filling;
  }

  private drain(): void {
    for (let next = this.early.get(this.position + 1); next; next = this.early.get(this.position + 1)) {
      this.early.delete(next.sequence);
      this.deliver(next);
    }
    for (const sequence of this.early.keys()) if (sequence <= this.position) this.early.delete(sequence);
    if (this.early.size === 0) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    } else {
      // Publishes of two commits can cross on the way; give the missing one a moment before reading it.
      this.scheduleCatchUp(this.options.gapWaitMs);
    }
  }

  private scheduleCatchUp(delayMs: number): void {
    if (this.gapTimer || this.stopped) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      void this.catchUp();
    }, delayMs);
  }

  private async readMissing(): Promise<void> {
    try {
      for (;;) {
        const events = await this.source.eventsAfter(this.position);
        if (this.stopped || events.length === 0) break;
        const first = events[0]!;
        if (first.sequence > this.position + 1) {
          // Pruned before this feed could read it: nothing left to deliver for that stretch.
          this.options.onError(new Error(`events ${this.position + 1}..${first.sequence - 1} are gone from the table`));
          this.position = first.sequence - 1;
        }
        for (const event of events) this.receive(event);
      }
    } catch (error) {
      this.options.onError(error);
      if (this.early.size > 0) this.scheduleCatchUp(this.options.gapWaitMs * 10);
    }
  }

  private deliver(event: StreamEvent): void {
    this.position = event.sequence;
    this.tail.push(event);
    if (this.tail.length > this.options.tailSize) this.tail.splice(0, this.tail.length - this.options.tailSize);
    for (const listener of this.listeners) listener(event);
  }
}
