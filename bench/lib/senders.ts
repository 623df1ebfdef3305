import { Agent, request } from 'node:http';
import type { BenchRestaurant } from './db.js';
import { eventKey, type Clock } from './screens.js';
import { Recorder, sleep } from './stats.js';

const PLACE_ORDER = `mutation PlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) { id number status version }
}`;
const BUMP_ORDER = `mutation BumpOrder($id: ID!) {
  bumpOrder(id: $id) { id number status version }
}`;

interface OrderResult {
  id: string;
  version: number;
}

/** What the senders did, per restaurant: the events screens must receive. */
export class Ledger {
  /** Event keys of committed mutations, per restaurant, in the order their responses came. */
  readonly committed: string[][];
  readonly latency = new Recorder();
  ok = 0;
  errors = 0;
  readonly errorSamples: string[] = [];
  /** How far the open-loop schedule fell behind (ms): the senders could not keep the rate. */
  maxLagMs = 0;
  firstSendAt: number | undefined;
  lastDoneAt: number | undefined;

  constructor(restaurants: number) {
    this.committed = Array.from({ length: restaurants }, () => []);
  }

  get expectedPerRestaurant(): number[] {
    return this.committed.map((keys) => keys.length);
  }
}

/**
 * POS terminals: placeOrder over HTTP (keep-alive), then a bump of the same order. The order's
 * notes carry its send time ("t=<ms>" on the generator's monotonic clock), and the bump's send
 * time is noted by event key before it goes out, so screens time both on one clock.
 */
export class Senders {
  private readonly agent: Agent;
  private readonly url: URL;
  private sequence = 0;

  constructor(
    url: string,
    concurrency: number,
    private readonly restaurants: BenchRestaurant[],
    /** The POS token an order of restaurant `r` is sent with. */
    private readonly tokenOf: (r: number) => string,
    private readonly clock: Clock,
    readonly ledger: Ledger,
    private readonly runId: string,
    /** Orders rotate over restaurants 0..measured-1 (the spare warm-up restaurant is last). */
    private readonly measured = restaurants.length,
  ) {
    this.url = new URL(url);
    if (this.url.hostname !== '127.0.0.1') throw new Error('the load generator only targets 127.0.0.1');
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  }

  close(): void {
    this.agent.destroy();
  }

  /** One order of restaurant `r`, placed then bumped; failures are counted, never thrown. */
  async orderAndBump(r: number): Promise<void> {
    const restaurant = this.restaurants[r]!;
    const token = this.tokenOf(r);
    const sentAt = performance.now();
    this.ledger.firstSendAt ??= sentAt;
    const placed = await this.mutate<{ placeOrder: OrderResult }>(
      {
        query: PLACE_ORDER,
        operationName: 'PlaceOrder',
        variables: {
          input: {
            clientRequestId: `${this.runId}-${++this.sequence}`,
            table: String(1 + (this.sequence % 40)),
            notes: `t=${sentAt.toFixed(3)}`,
            items: [
              { name: 'Burger', quantity: 1, modifiers: ['no onions'], stationId: restaurant.stations.grill },
              { name: 'Fries', quantity: 2, stationId: restaurant.stations.fry },
            ],
          },
        },
      },
      token,
      sentAt,
    );
    if (!placed) return;
    this.commit(r, eventKey(placed.placeOrder.id, placed.placeOrder.version));
    const bumpAt = performance.now();
    // Noted before it goes out: the event may reach a screen before the response reaches us.
    const bumpKey = eventKey(placed.placeOrder.id, placed.placeOrder.version + 1);
    this.clock.sendTimes.set(bumpKey, bumpAt);
    const bumped = await this.mutate<{ bumpOrder: OrderResult }>(
      { query: BUMP_ORDER, operationName: 'BumpOrder', variables: { id: placed.placeOrder.id } },
      token,
      bumpAt,
    );
    if (bumped) this.commit(r, eventKey(bumped.bumpOrder.id, bumped.bumpOrder.version));
  }

  /** `orders` orders at `rate` a second (open loop), at most `concurrency` in flight, round-robin over restaurants. */
  async atRate(orders: number, rate: number, concurrency: number, pick: (i: number) => number = (i) => i % this.measured) {
    const start = performance.now();
    let inFlight = 0;
    const idle: (() => void)[] = [];
    const running: Promise<void>[] = [];
    for (let i = 0; i < orders; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      while (inFlight >= concurrency) await new Promise<void>((resolve) => idle.push(resolve));
      this.ledger.maxLagMs = Math.max(this.ledger.maxLagMs, performance.now() - due);
      inFlight += 1;
      const job = this.orderAndBump(pick(i)).finally(() => {
        inFlight -= 1;
        idle.shift()?.();
      });
      running.push(job);
    }
    await Promise.all(running);
  }

  /** As many orders as `concurrency` closed-loop senders can push in `durationMs`. */
  async flatOut(concurrency: number, durationMs: number): Promise<void> {
    const until = performance.now() + durationMs;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, lane) => {
        for (let k = 0; performance.now() < until; k++) {
          await this.orderAndBump((lane + k * concurrency) % this.measured);
        }
      }),
    );
  }

  private commit(r: number, key: string): void {
    this.ledger.committed[r]!.push(key);
  }

  private async mutate<T>(body: object, token: string, sentAt: number): Promise<T | null> {
    try {
      const { status, text } = await this.post(JSON.stringify(body), token);
      const done = performance.now();
      const parsed = JSON.parse(text) as { data?: T | null; errors?: { message: string }[] };
      if (status !== 200 || parsed.errors?.length || !parsed.data) {
        this.failed(`HTTP ${status}: ${text.slice(0, 300)}`);
        return null;
      }
      this.ledger.ok += 1;
      this.ledger.latency.add(done - sentAt);
      this.ledger.lastDoneAt = done;
      return parsed.data;
    } catch (error) {
      this.failed(error instanceof Error ? error.message : String(error));
      return null;
    }
  }

  private failed(message: string): void {
    this.ledger.errors += 1;
    if (this.ledger.errorSamples.length < 5) this.ledger.errorSamples.push(message);
  }

  private post(body: string, token: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${token}`,
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }
}
