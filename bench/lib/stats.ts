/** A growable list of samples (milliseconds), cheap to append to a few million times. */
export class Recorder {
  private data = new Float64Array(1024);
  count = 0;

  add(value: number): void {
    if (this.count === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.count++] = value;
  }

  /** Percentiles by nearest rank, on a sorted copy. */
  summary(): Summary {
    if (this.count === 0) return { count: 0, p50: null, p95: null, p99: null, p999: null, max: null, mean: null };
    const sorted = this.data.slice(0, this.count).sort();
    const at = (q: number) => round(sorted[Math.min(this.count - 1, Math.max(0, Math.ceil(q * this.count) - 1))]!);
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      count: this.count,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      p999: at(0.999),
      max: round(sorted[this.count - 1]!),
      mean: round(sum / this.count),
    };
  }
}

export interface Summary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
}

/** One second of traffic: how many deliveries were sent in it, and their latency. */
export interface SecondSummary {
  second: number;
  count: number;
  p50: number | null;
  p99: number | null;
}

/**
 * Delivery latency by the second of traffic its mutation was sent in: shows when the slow
 * deliveries happen (a burst at the start, a stall every few seconds, or spread evenly).
 */
export class Timeline {
  private readonly seconds: Recorder[] = [];
  start: number | undefined;

  add(sentAt: number, latencyMs: number): void {
    if (this.start === undefined) return;
    const second = Math.max(0, Math.floor((sentAt - this.start) / 1000));
    (this.seconds[second] ??= new Recorder()).add(latencyMs);
  }

  summary(): SecondSummary[] {
    return Array.from(this.seconds, (recorder, second) => {
      const { count, p50, p99 } = recorder?.summary() ?? { count: 0, p50: null, p99: null };
      return { second, count, p50, p99 };
    });
  }
}

export const round = (value: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** server / baseline, or null when either side is missing or the baseline is zero. */
export const ratio = (server: number | null | undefined, baseline: number | null | undefined): number | null =>
  server == null || baseline == null || baseline === 0 ? null : round(server / baseline, 2);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items` with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}
