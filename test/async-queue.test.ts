import { describe, expect, test } from 'vitest';
import { AsyncQueue } from '../src/services/async-queue.js';

/** Whether a promise has settled, after the microtasks queued so far have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('AsyncQueue', () => {
  test('values pushed while nobody reads are read in order', async () => {
    const queue = new AsyncQueue<number>(() => {});
    queue.push(1);
    queue.push(2);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
  });

  test('a screen that leaves more than `limit` values unread is cut off once it has read them', async () => {
    let closed = 0;
    const queue = new AsyncQueue<number>(() => closed++, 2);
    for (const value of [1, 2, 3]) queue.push(value);
    expect(closed).toBe(1);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    await expect(queue.next()).rejects.toThrow('fell too far behind');
  });

  describe('handOffTo', () => {
    test('takes what comes while the reader waits with nothing unread; the reader stays waiting', async () => {
      const queue = new AsyncQueue<number>(() => {});
      const taken: number[] = [];
      queue.handOffTo((value) => (taken.push(value), true));
      const reading = queue.next();
      queue.push(1);
      queue.push(2);
      expect(taken).toEqual([1, 2]);
      expect(await settled(reading)).toBe(false);
      void queue.return();
      expect(await reading).toEqual({ value: undefined, done: true });
    });

    test('leaves to the reader what it refuses, and everything pushed while the reader is not waiting', async () => {
      const queue = new AsyncQueue<number>(() => {});
      const taken: number[] = [];
      queue.handOffTo((value) => value !== 2 && (taken.push(value), true));
      queue.push(0); // nobody waits: buffered, in order, for the reader
      expect(await queue.next()).toEqual({ value: 0, done: false });
      const reading = queue.next();
      queue.push(1);
      queue.push(2); // refused: the waiting reader gets it
      queue.push(3); // the reader is busy with 2: buffered
      expect(taken).toEqual([1]);
      expect(await reading).toEqual({ value: 2, done: false });
      expect(await queue.next()).toEqual({ value: 3, done: false });
      expect(taken).toEqual([1]);
    });
  });
});
