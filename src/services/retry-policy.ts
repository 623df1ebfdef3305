/**
 * The write path is optimistic (see OrderStore): a write that finds the order changed since it
 * was read, or the stations changed since the catalog read them, writes nothing and is tried
 * again from the table with fresh stations. A change that loses this many races in a row gives up.
 */
export const MAX_ATTEMPTS = 25;

/** What an attempt returns when it lost its race: try again. */
export const LOST = Symbol('lost its race');

/** Runs `attempt` (told whether it is the first) until it does not lose, at most MAX_ATTEMPTS times; then `giveUp`. */
export async function retryLostRaces<T>(
  attempt: (first: boolean) => Promise<T | typeof LOST>,
  giveUp: () => Promise<never>,
): Promise<T> {
  for (let n = 1; n <= MAX_ATTEMPTS; n++) {
    const result = await attempt(n === 1);
    if (result !== LOST) return result;
  }
  return giveUp();
}
