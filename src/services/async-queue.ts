/**
 * A push-based async iterator whose `return()` takes effect at once, even while a consumer waits
 * in `next()` (an async generator would wait for its pending await first and leak listeners
 * until the next event). `limit` bounds what a slow consumer may leave unread.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private failure: unknown;
  private done = false;
  private direct: ((value: T) => boolean) | undefined;

  constructor(
    private readonly onClose: () => void,
    private readonly limit = Infinity,
  ) {}

  /**
   * Hands values to `consumer` as they come, whenever the reader waits in `next()` with nothing
   * unread: it cannot overtake what the reader took, and the reader's `next()` stays pending
   * instead of being settled and called again for every value. `consumer` returns false to leave
   * a value to the reader after all.
   */
  handOffTo(consumer: (value: T) => boolean): void {
    this.direct = consumer;
  }

  push(value: T): void {
    if (this.done) return;
    if (this.waiting && this.direct?.(value)) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value, done: false });
    } else if (this.buffer.length >= this.limit) {
      this.fail(new Error('The subscriber fell too far behind; resubscribe with the last cursor.'));
    } else {
      this.buffer.push(value);
    }
  }

  /** Ends the iteration with an error once the buffered values are read. */
  fail(error: unknown): void {
    if (this.done) return;
    this.failure = error;
    this.finish();
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve(Promise.reject(error) as never);
    }
  }

  get closed(): boolean {
    return this.done;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.failure !== undefined) {
      const error = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.buffer.length = 0;
    this.failure = undefined;
    this.finish();
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onClose();
  }
}
