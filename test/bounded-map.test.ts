import { expect, test } from 'vitest';
import { BoundedMap } from '../src/lib/bounded-map.js';

test('BoundedMap keeps the most recently remembered entries, at most its capacity', () => {
  const map = new BoundedMap<string, number>(2);
  map.remember('a', 1);
  map.remember('b', 2);
  map.remember('a', 3); // a is the newest again
  map.remember('c', 4); // b, the oldest, goes
  expect([...map]).toEqual([
    ['a', 3],
    ['c', 4],
  ]);
});
