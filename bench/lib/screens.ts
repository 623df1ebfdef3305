import WebSocket from 'ws';
import { Recorder, type Timeline } from './stats.js';

/** What a kitchen screen asks for: the whole event with the whole order (the test suite's EventFields). */
const ORDER_FIELDS = `id number type status rush table customerName notes version createdAt updatedAt startedAt readyAt
  completedAt cancelledAt cancelReason items { id name quantity modifiers notes status station { id name expo } }`;
export const KITCHEN_QUEUE = `subscription KitchenQueue($stationId: ID, $after: String) {
  kitchenQueue(stationId: $stationId, after: $after) {
    kind cursor at previousStatus order { ${ORDER_FIELDS} } orders { ${ORDER_FIELDS} }
  }
}`;

/** The server's cursor format (the baseline uses the same): base64url of "kq:<sequence>". */
export function cursorSequence(cursor: string): number {
  const decoded = Buffer.from(cursor, 'base64url').toString();
  return decoded.startsWith('kq:') ? Number(decoded.slice(3)) : NaN;
}

interface QueueEvent {
  kind: string;
  cursor: string;
  order: { id: string; version: number; notes: string | null } | null;
}

/** Every delivery is timed on the generator's one monotonic clock. */
export interface Clock {
  /** Send times of events that do not carry theirs (bumps), by event key. */
  sendTimes: Map<string, number>;
  latency: Recorder;
  /** The same latencies by second of traffic, when kept. */
  timeline?: Timeline;
  /** Called for every first delivery of an event, after it is recorded. */
  onDelivery?: (screen: Screen, key: string, at: number) => void;
}

export const eventKey = (orderId: string, version: number) => `${orderId}:${version}`;

/**
 * One kitchen screen on the bare graphql-transport-ws protocol over `ws` (no client library: a
 * few thousand of these share the generator's one event loop). It checks what it receives: each
 * event once, in sequence order, and remembers its last cursor to resume with.
 */
export class Screen {
  socket: WebSocket | undefined;
  /** Event keys (order id : version) received, for loss and duplicates. */
  readonly seen = new Set<string>();
  lastSequence = 0;
  lastCursor: string | undefined;
  received = 0;
  duplicated = 0;
  outOfOrder = 0;
  snapshots = 0;
  errors: string[] = [];
  /** Set while the bench waits for this screen to catch up after a resume. */
  catchUp: { keys: readonly string[]; need: number; next: number; since: number; doneAt?: number } | undefined;
  private onSubscribed: (() => void) | undefined;
  private onFailed: ((error: Error) => void) | undefined;
  subscribed = false;
  closedUnexpectedly = 0;

  constructor(
    readonly restaurant: number,
    private readonly token: string,
    private readonly clock: Clock,
    private readonly variables: { stationId?: string } = {},
  ) {}

  /**
   * Opens the socket and subscribes. Resolves once subscribed: at the SNAPSHOT, or (resuming with
   * `after`) as soon as the subscribe message is out, since a resume sends nothing until an event.
   */
  connect(wsUrl: string, after?: string): Promise<void> {
    this.subscribed = false;
    return new Promise<void>((resolve, reject) => {
      this.onSubscribed = resolve;
      this.onFailed = reject;
      const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
      this.socket = socket;
      socket.on('open', () => {
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${this.token}` } }));
      });
      socket.on('message', (data: Buffer) => this.receive(data, after));
      socket.on('error', (error) => this.fail(error));
      socket.on('close', (code, reason) => {
        if (this.socket !== socket) return;
        if (!this.subscribed) this.fail(new Error(`closed ${code} ${reason.toString()} before subscribing`));
        else if (code !== 1000) this.closedUnexpectedly += 1;
      });
    });
  }

  /** Drops the connection at once (no close handshake), as a network cut would. */
  drop(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.terminate();
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000);
  }

  private fail(error: Error): void {
    this.errors.push(error.message);
    const failed = this.onFailed;
    this.onSubscribed = this.onFailed = undefined;
    failed?.(error);
  }

  private subscribedNow(): void {
    this.subscribed = true;
    const done = this.onSubscribed;
    this.onSubscribed = this.onFailed = undefined;
    done?.();
  }

  private receive(data: Buffer, after: string | undefined): void {
    const message = JSON.parse(data.toString()) as {
      type: string;
      payload?: { data?: { kitchenQueue?: QueueEvent }; errors?: unknown[] } | unknown[];
    };
    switch (message.type) {
      case 'connection_ack': {
        const variables = after ? { ...this.variables, after } : this.variables;
        this.socket?.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: KITCHEN_QUEUE, variables } }));
        if (after) this.subscribedNow();
        return;
      }
      case 'ping':
        this.socket?.send('{"type":"pong"}');
        return;
      case 'next': {
        const payload = message.payload as { data?: { kitchenQueue?: QueueEvent }; errors?: unknown[] };
        const event = payload.data?.kitchenQueue;
        if (!event) {
          this.fail(new Error(`error result: ${JSON.stringify(payload.errors)}`));
          return;
        }
        this.event(event);
        return;
      }
      case 'error':
        this.fail(new Error(`subscription error: ${JSON.stringify(message.payload)}`));
        return;
      case 'complete':
        this.errors.push('completed by the server');
        return;
    }
  }

  private event(event: QueueEvent): void {
    const now = performance.now();
    const sequence = cursorSequence(event.cursor);
    this.lastCursor = event.cursor;
    if (event.kind === 'SNAPSHOT') {
      this.snapshots += 1;
      this.lastSequence = sequence;
      this.subscribedNow();
      return;
    }
    const order = event.order!;
    const key = eventKey(order.id, order.version);
    if (this.seen.has(key)) {
      this.duplicated += 1;
      return;
    }
    this.seen.add(key);
    this.received += 1;
    if (sequence < this.lastSequence) this.outOfOrder += 1;
    else this.lastSequence = sequence;
    const sentAt =
      event.kind === 'ORDER_CREATED' && order.notes?.startsWith('t=') ? Number(order.notes.slice(2)) : this.clock.sendTimes.get(key);
    if (sentAt !== undefined) {
      this.clock.latency.add(now - sentAt);
      this.clock.timeline?.add(sentAt, now - sentAt);
    }
    const catchUp = this.catchUp;
    if (catchUp && catchUp.doneAt === undefined) {
      while (catchUp.next < catchUp.need && this.seen.has(catchUp.keys[catchUp.next]!)) catchUp.next += 1;
      if (catchUp.next >= catchUp.need) catchUp.doneAt = now;
    }
    this.clock.onDelivery?.(this, key, now);
  }
}
