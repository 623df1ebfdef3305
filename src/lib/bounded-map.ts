/**
 * A map of what was remembered last, at most `capacity` entries: remembering a key again makes it
 * the newest, and past the capacity the oldest goes. For caches whose misses are only slower.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly capacity: number) {
    super();
  }

  remember(key: K, value: V): void {
    this.delete(key);
    if (this.size >= this.capacity) this.delete(this.keys().next().value!);
    this.set(key, value);
  }
}
