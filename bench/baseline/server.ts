/**
 * The baseline: the least a server needs to do the kitchen display's job, with only `ws`, `pg` and
 * `ioredis` (and node's own http and crypto). It is what the real server is measured against.
 *
 * - POST /graphql takes the bench's two mutations (placeOrder, bumpOrder; recognised by name, no
 *   GraphQL parsing), checks the HS256 token and role, and writes each in ONE durable statement
 *   (data-modifying CTEs): the restaurant row lock hands out the ticket number and the event
 *   sequence, and the order, its items and the kitchen event row are written in the same commit.
 *   Then it publishes the event on Redis, pre-rendered as the JSON screens get. (Not auto-pipelined:
 *   measured in `tenants`, ioredis' auto-pipelining cost this server ~13% more CPU and kept each
 *   publish's objects alive into the old generation.)
 * - ws://.../graphql speaks enough graphql-transport-ws for `kitchenQueue(after:)`: one Redis
 *   subscription per restaurant; each event is turned into frame bytes once and the same bytes
 *   are written to every socket of the restaurant. Events go out in sequence order; a missing one
 *   is read back from the table after 100 ms. A SNAPSHOT (one query) starts a fresh subscription;
 *   `after` replays from an in-memory tail of 1,000 events per restaurant, else from the table.
 *
 * Left out, because the bench does not exercise them: other mutations, station filtering,
 * idempotent-retry detection (the unique key still refuses a reused clientRequestId), token
 * expiry on open sockets, keep-alive pings, error masking, request limits.
 *
 * env: DATABASE_URL, REDIS_URL, PORT (0: any), JWT_SECRET. Prints "ready: http://127.0.0.1:PORT/graphql".
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/kds_bench';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = process.env.JWT_SECRET ?? 'kds-development-secret-do-not-use-in-production';
const TAIL_SIZE = 1000;
const GAP_WAIT_MS = 100;
const FRONT_OF_HOUSE = new Set(['OWNER', 'MANAGER', 'CASHIER', 'SERVER']);
const KITCHEN = new Set(['OWNER', 'MANAGER', 'KITCHEN', 'EXPO']);

const db = new pg.Pool({ connectionString: DATABASE_URL, max: 20 });
const publisher = new Redis(REDIS_URL);
const subscriber = new Redis(REDIS_URL);

// ---- tokens -------------------------------------------------------------------------------

interface Viewer {
  restaurantId: string;
  role: string;
}

const HEADER_OK = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function verify(header: unknown): Viewer | null {
  if (typeof header !== 'string') return null;
  const token = header.startsWith('Bearer ') ? header.slice(7).trim() : header.trim();
  const [head, body, signature] = token.split('.');
  if (!head || !body || !signature) return null;
  if (head !== HEADER_OK) {
    try {
      if ((JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: string }).alg !== 'HS256') return null;
    } catch {
      return null;
    }
  }
  const expected = createHmac('sha256', SECRET).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as { restaurantId?: string; role?: string; exp?: number };
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return null;
    if (typeof claims.restaurantId !== 'string' || typeof claims.role !== 'string') return null;
    return { restaurantId: claims.restaurantId, role: claims.role };
  } catch {
    return null;
  }
}

// ---- writes -------------------------------------------------------------------------------

interface Station {
  id: string;
  name: string;
  expo: boolean;
}

const stationCache = new Map<string, Promise<Station[]>>();
function stationsOf(restaurantId: string): Promise<Station[]> {
  let stations = stationCache.get(restaurantId);
  if (!stations) {
    stations = db
      .query<Station>('select id, name, expo from stations where restaurant_id = $1 order by position', [restaurantId])
      .then((result) => result.rows);
    stationCache.set(restaurantId, stations);
    stations.catch(() => stationCache.delete(restaurantId));
  }
  return stations;
}

const cursorOf = (sequence: number | string) => Buffer.from(`kq:${sequence}`).toString('base64url');
const channelOf = (restaurantId: string) => `kds-baseline:restaurant:${restaurantId}:events`;

/** The JSON of one kitchenQueue event as screens receive it. */
const eventJson = (sequence: number | string, kind: string, at: string, previousStatus: string | null, order: string) =>
  `{"kind":"${kind}","cursor":"${cursorOf(sequence)}","at":"${at}","previousStatus":${
    previousStatus ? `"${previousStatus}"` : 'null'
  },"order":${order},"orders":null}`;

/** Published as "<sequence> <json>": subscribers route it without parsing the JSON. */
const publish = (restaurantId: string, sequence: number | string, json: string) =>
  void publisher.publish(channelOf(restaurantId), `${sequence} ${json}`).catch(() => {});

class UserError extends Error {}

interface ItemInput {
  name?: unknown;
  quantity?: unknown;
  modifiers?: unknown;
  notes?: unknown;
  stationId?: unknown;
}

const PLACE_SQL = `
with r as (
  update restaurants set last_order_number = last_order_number + 1, last_event_sequence = last_event_sequence + 1
  where id = $1 returning last_order_number as num, last_event_sequence as seq
), o as (
  insert into orders (id, restaurant_id, number, type, status, rush, "table", customer_name, notes, version,
                      client_request_id, request_hash, created_at, updated_at)
  select $2, $1, r.num, $3, 'PENDING', $4, $5, $6, $7, 1, $8, '', $9, $9 from r
), i as (
  insert into order_items (id, order_id, position, name, quantity, modifiers, notes, station_id, status)
  select x.id, $2, x.position, x.name, x.quantity, x.modifiers, x.notes, x.station_id, 'PENDING'
  from r, jsonb_to_recordset($10::jsonb) as x(id uuid, position int, name text, quantity int, modifiers text[], notes text, station_id uuid)
), e as (
  insert into kitchen_events (id, restaurant_id, sequence, kind, subject, subject_id, previous_status, payload, created_at)
  select $11, $1, r.seq, 'ORDER_CREATED', 'ORDER', $2, null, jsonb_set($12::jsonb, '{number}', to_jsonb(r.num)), $9 from r
)
select num, seq::text as seq from r`;

async function placeOrder(viewer: Viewer, input: Record<string, unknown>) {
  if (!FRONT_OF_HOUSE.has(viewer.role)) throw new UserError('FORBIDDEN');
  const items = input.items as ItemInput[] | undefined;
  if (!Array.isArray(items) || items.length < 1 || items.length > 100) throw new UserError('1 to 100 items');
  if (typeof input.clientRequestId !== 'string' || !input.clientRequestId) throw new UserError('clientRequestId');
  const stations = await stationsOf(viewer.restaurantId);
  const fallback = stations.find((s) => !s.expo) ?? null;
  const id = randomUUID();
  const at = new Date().toISOString();
  const rows = items.map((item, position) => {
    const station = item.stationId == null ? fallback : stations.find((s) => s.id === item.stationId);
    if (station === undefined) throw new UserError('NOT_FOUND station');
    return {
      id: randomUUID(),
      position,
      name: String(item.name),
      quantity: typeof item.quantity === 'number' ? item.quantity : 1,
      modifiers: Array.isArray(item.modifiers) ? item.modifiers.map(String) : [],
      notes: typeof item.notes === 'string' ? item.notes : null,
      station,
    };
  });
  const order = {
    id,
    number: 0,
    type: typeof input.type === 'string' ? input.type : 'DINE_IN',
    status: 'PENDING',
    rush: input.rush === true,
    table: typeof input.table === 'string' ? input.table : null,
    customerName: typeof input.customerName === 'string' ? input.customerName : null,
    notes: typeof input.notes === 'string' ? input.notes : null,
    version: 1,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    readyAt: null,
    completedAt: null,
    cancelledAt: null,
    cancelReason: null,
    items: rows.map(({ id, name, quantity, modifiers, notes, station }) => ({ id, name, quantity, modifiers, notes, station, status: 'PENDING' })),
  };
  const result = await db.query<{ num: number; seq: string }>(PLACE_SQL, [
    viewer.restaurantId,
    id,
    order.type,
    order.rush,
    order.table,
    order.customerName,
    order.notes,
    input.clientRequestId,
    at,
    JSON.stringify(rows.map(({ station, ...row }) => ({ ...row, station_id: station?.id ?? null }))),
    randomUUID(),
    JSON.stringify(order),
  ]);
  const row = result.rows[0];
  if (!row) throw new UserError('NOT_FOUND restaurant');
  order.number = row.num;
  publish(viewer.restaurantId, row.seq, eventJson(row.seq, 'ORDER_CREATED', at, null, JSON.stringify(order)));
  return { placeOrder: { id, number: order.number, status: order.status, version: 1 } };
}

/** An order row (alias o, joined items and stations) as the snapshot JSON; `readyItems` makes live items READY. */
const orderJson = (o: string, readyItems: string) => `jsonb_build_object(
  'id', ${o}.id, 'number', ${o}.number, 'type', ${o}.type, 'status', ${o}.status, 'rush', ${o}.rush, 'table', ${o}."table",
  'customerName', ${o}.customer_name, 'notes', ${o}.notes, 'version', ${o}.version,
  'createdAt', to_char(${o}.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'updatedAt', to_char(${o}.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'startedAt', to_char(${o}.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'readyAt', to_char(${o}.ready_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'completedAt', to_char(${o}.completed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'cancelledAt', to_char(${o}.cancelled_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'cancelReason', ${o}.cancel_reason,
  'items', (select coalesce(jsonb_agg(jsonb_build_object(
      'id', i.id, 'name', i.name, 'quantity', i.quantity, 'modifiers', to_jsonb(i.modifiers), 'notes', i.notes,
      'station', case when s.id is null then null else jsonb_build_object('id', s.id, 'name', s.name, 'expo', s.expo) end,
      'status', case when ${readyItems} and i.status in ('PENDING', 'PREPARING') then 'READY' else i.status end
    ) order by i.position), '[]'::jsonb)
    from order_items i left join stations s on s.id = i.station_id where i.order_id = ${o}.id))`;

const BUMP_SQL = `
with prev as (
  select id, status from orders
  where id = $2 and restaurant_id = $1 and status in ('PENDING', 'PREPARING', 'READY') for update
), r as (
  update restaurants set last_event_sequence = last_event_sequence + 1
  where id = $1 and exists (select 1 from prev) returning last_event_sequence as seq
), o as (
  update orders set
    status = case prev.status when 'PENDING' then 'PREPARING' when 'PREPARING' then 'READY' else 'COMPLETED' end,
    version = orders.version + 1, updated_at = $3,
    started_at = case when prev.status = 'PENDING' then $3 else orders.started_at end,
    ready_at = case when prev.status = 'PREPARING' then $3 else orders.ready_at end,
    completed_at = case when prev.status = 'READY' then $3 else orders.completed_at end
  from prev, r where orders.id = prev.id
  returning orders.*, prev.status as previous_status, r.seq
), items as (
  update order_items set status = 'READY' from o
  where order_items.order_id = o.id and o.status = 'READY' and order_items.status in ('PENDING', 'PREPARING')
), p as (
  select o.id, o.number, o.status, o.version, o.seq, o.previous_status, ${orderJson('o', "o.status = 'READY'")} as payload from o
), e as (
  insert into kitchen_events (id, restaurant_id, sequence, kind, subject, subject_id, previous_status, payload, created_at)
  select $4, $1, p.seq, 'ORDER_STATUS_CHANGED', 'ORDER', p.id, p.previous_status, p.payload, $3 from p
)
select id, number, status, version, seq::text as seq, previous_status, payload::text as payload from p`;

async function bumpOrder(viewer: Viewer, variables: Record<string, unknown>) {
  if (!KITCHEN.has(viewer.role)) throw new UserError('FORBIDDEN');
  const id = variables.id;
  if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new UserError('NOT_FOUND order');
  const at = new Date().toISOString();
  const result = await db.query<{ id: string; number: number; status: string; version: number; seq: string; previous_status: string; payload: string }>(
    BUMP_SQL,
    [viewer.restaurantId, id, at, randomUUID()],
  );
  const row = result.rows[0];
  if (!row) throw new UserError('NOT_FOUND or INVALID_TRANSITION');
  publish(viewer.restaurantId, row.seq, eventJson(row.seq, 'ORDER_STATUS_CHANGED', at, row.previous_status, row.payload));
  return { bumpOrder: { id: row.id, number: row.number, status: row.status, version: row.version } };
}

// ---- HTTP ---------------------------------------------------------------------------------

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/healthz') return reply(res, 200, '{"status":"ok"}');
  if (req.method !== 'POST' || req.url?.split('?')[0] !== '/graphql') return reply(res, 404, '{"errors":[{"message":"not found"}]}');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      let body: { query?: string; operationName?: string; variables?: Record<string, unknown> };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        return reply(res, 400, '{"errors":[{"message":"malformed JSON"}]}');
      }
      const viewer = verify(req.headers.authorization);
      if (!viewer) return reply(res, 200, '{"errors":[{"message":"unauthenticated","extensions":{"code":"UNAUTHENTICATED"}}]}');
      const variables = body.variables ?? {};
      const operation = body.operationName ?? (/\b(placeOrder|bumpOrder)\b/.exec(body.query ?? '')?.[1] === 'placeOrder' ? 'PlaceOrder' : 'BumpOrder');
      try {
        const data =
          operation === 'PlaceOrder'
            ? await placeOrder(viewer, (variables.input ?? {}) as Record<string, unknown>)
            : await bumpOrder(viewer, variables);
        reply(res, 200, JSON.stringify({ data }));
      } catch (error) {
        const message = error instanceof UserError ? error.message : 'internal error';
        if (!(error instanceof UserError)) console.error(error);
        reply(res, 200, JSON.stringify({ errors: [{ message }], data: null }));
      }
    })();
  });
}

// ---- the live feed ------------------------------------------------------------------------

interface Subscriber {
  socket: WebSocket;
  id: string;
  /** Events up to here are covered by its snapshot or replay; undefined while that is being read. */
  upTo: number | undefined;
  early: [number, string][];
}

/** The frame bytes of one event for one subscription id: made once, written to every socket. */
function frameOf(id: string, json: string): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":{"data":{"kitchenQueue":${json}}}}`);
}

class Feed {
  position = 0;
  readonly subscribers = new Set<Subscriber>();
  private readonly tail: [number, string][] = [];
  private readonly early = new Map<number, string>();
  private gapTimer: NodeJS.Timeout | undefined;
  private filling = false;
  ready: Promise<void>;

  constructor(readonly restaurantId: string) {
    this.ready = (async () => {
      await subscriber.subscribe(channelOf(restaurantId));
      const result = await db.query<{ seq: string }>('select last_event_sequence::text as seq from restaurants where id = $1', [restaurantId]);
      this.position = Number(result.rows[0]?.seq ?? 0);
      this.drain();
    })();
  }

  receive(sequence: number, json: string): void {
    if (sequence <= this.position) return;
    this.early.set(sequence, json);
    this.drain();
  }

  /** The events after `after`, if the tail still holds them all. */
  tailAfter(after: number): [number, string][] | undefined {
    if (after === this.position) return [];
    if (after > this.position) return undefined;
    const first = this.tail[0];
    if (!first || first[0] > after + 1) return undefined;
    return this.tail.slice(after + 1 - first[0]);
  }

  private drain(): void {
    for (let json = this.early.get(this.position + 1); json !== undefined; json = this.early.get(this.position + 1)) {
      this.early.delete(this.position + 1);
      this.deliver(this.position + 1, json);
    }
    if (this.early.size === 0) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    } else if (!this.gapTimer) {
      this.gapTimer = setTimeout(() => void this.fill(), GAP_WAIT_MS);
    }
  }

  private async fill(): Promise<void> {
    this.gapTimer = undefined;
    if (this.filling) return;
    this.filling = true;
    try {
      for (const [sequence, json] of await eventsAfter(this.restaurantId, this.position, 500)) this.receive(sequence, json);
    } finally {
      this.filling = false;
    }
  }

  private deliver(sequence: number, json: string): void {
    this.position = sequence;
    this.tail.push([sequence, json]);
    if (this.tail.length > TAIL_SIZE) this.tail.shift();
    const frames = new Map<string, Buffer>();
    for (const sub of this.subscribers) {
      if (sub.upTo === undefined) {
        sub.early.push([sequence, json]);
        continue;
      }
      if (sequence <= sub.upTo) continue;
      let frame = frames.get(sub.id);
      if (!frame) frames.set(sub.id, (frame = frameOf(sub.id, json)));
      sub.socket.send(frame);
    }
  }
}

const feeds = new Map<string, Feed>();
subscriber.on('message', (channel: string, message: string) => {
  const restaurantId = channel.slice('kds-baseline:restaurant:'.length, -':events'.length);
  const space = message.indexOf(' ');
  feeds.get(restaurantId)?.receive(Number(message.slice(0, space)), message.slice(space + 1));
});

async function eventsAfter(restaurantId: string, after: number, limit: number): Promise<[number, string][]> {
  const result = await db.query<{ seq: string; kind: string; at: string; previous_status: string | null; payload: string }>(
    `select sequence::text as seq, kind, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at,
            previous_status, payload::text as payload
     from kitchen_events where restaurant_id = $1 and sequence > $2 order by sequence limit $3`,
    [restaurantId, after, limit],
  );
  return result.rows.map((row) => [Number(row.seq), eventJson(row.seq, row.kind, row.at, row.previous_status, row.payload)]);
}

const SNAPSHOT_SQL = `
select r.last_event_sequence::text as seq, coalesce((
  select jsonb_agg(x.payload order by x.rush desc, x.created_at, x.number) from (
    select o.rush, o.created_at, o.number, ${orderJson('o', 'false')} as payload
    from orders o where o.restaurant_id = r.id and o.status in ('PENDING', 'PREPARING', 'READY')
  ) x), '[]'::jsonb)::text as orders
from restaurants r where r.id = $1`;

async function start(feed: Feed, sub: Subscriber, after: number | undefined): Promise<void> {
  const send = (json: string) => sub.socket.send(frameOf(sub.id, json));
  let upTo: number | undefined;
  if (after !== undefined) {
    const fromTail = feed.tailAfter(after);
    if (fromTail) {
      for (const [, json] of fromTail) send(json);
      upTo = feed.position;
    } else if (after < feed.position) {
      const events: [number, string][] = [];
      for (let from = after; ; ) {
        const page = await eventsAfter(feed.restaurantId, from, 500);
        events.push(...page);
        if (page.length < 500) break;
        from = page.at(-1)![0];
      }
      if (events[0]?.[0] === after + 1) {
        for (const [, json] of events) send(json);
        upTo = events.at(-1)![0];
      }
    }
  }
  if (upTo === undefined) {
    const result = await db.query<{ seq: string; orders: string }>(SNAPSHOT_SQL, [feed.restaurantId]);
    const row = result.rows[0]!;
    upTo = Number(row.seq);
    send(`{"kind":"SNAPSHOT","cursor":"${cursorOf(row.seq)}","at":"${new Date().toISOString()}","previousStatus":null,"order":null,"orders":${row.orders}}`);
  }
  for (const [sequence, json] of sub.early) if (sequence > upTo) send(json);
  sub.early = [];
  sub.upTo = upTo;
}

// ---- WebSocket ----------------------------------------------------------------------------

const server = createServer(handle);
const wss = new WebSocketServer({
  server,
  path: '/graphql',
  perMessageDeflate: false,
  handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false),
});

wss.on('connection', (socket) => {
  let viewer: Viewer | null = null;
  const subs = new Map<string, { feed: Feed; sub: Subscriber }>();
  const initTimer = setTimeout(() => viewer || socket.close(4408, 'Connection initialisation timeout'), 3_000);
  socket.on('message', (data: Buffer) => {
    let message: { type?: string; id?: string; payload?: { authorization?: unknown; query?: string; variables?: { after?: string } } };
    try {
      message = JSON.parse(data.toString());
    } catch {
      return socket.close(4400, 'Invalid message');
    }
    if (message.type === 'connection_init') {
      viewer = verify(message.payload?.authorization);
      clearTimeout(initTimer);
      if (!viewer) return socket.close(4403, 'Forbidden');
      socket.send('{"type":"connection_ack"}');
    } else if (message.type === 'subscribe' && viewer && typeof message.id === 'string') {
      const id = message.id;
      const cursor = message.payload?.variables?.after;
      const decoded = cursor ? Buffer.from(cursor, 'base64url').toString() : '';
      const after = decoded.startsWith('kq:') ? Number(decoded.slice(3)) : undefined;
      const restaurantId = viewer.restaurantId;
      let feed = feeds.get(restaurantId);
      if (!feed) feeds.set(restaurantId, (feed = new Feed(restaurantId)));
      const sub: Subscriber = { socket, id, upTo: undefined, early: [] };
      subs.set(id, { feed, sub });
      const theFeed = feed;
      void theFeed.ready
        .then(() => {
          if (subs.get(id)?.sub !== sub) return;
          theFeed.subscribers.add(sub);
          return start(theFeed, sub, Number.isSafeInteger(after) ? after : undefined);
        })
        .catch((error: unknown) => {
          console.error(error);
          socket.send(JSON.stringify({ id, type: 'error', payload: [{ message: 'internal error' }] }));
        });
    } else if (message.type === 'complete' && typeof message.id === 'string') {
      const entry = subs.get(message.id);
      entry?.feed.subscribers.delete(entry.sub);
      subs.delete(message.id);
    } else if (message.type === 'ping') {
      socket.send('{"type":"pong"}');
    }
  });
  socket.on('close', () => {
    clearTimeout(initTimer);
    for (const { feed, sub } of subs.values()) feed.subscribers.delete(sub);
    subs.clear();
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`ready: http://127.0.0.1:${port}/graphql`);
});

process.once('SIGTERM', () => {
  for (const client of wss.clients) client.close(1001, 'Server shutting down');
  wss.close();
  server.close();
  server.closeAllConnections();
  void Promise.allSettled([db.end(), publisher.quit(), subscriber.quit()]).then(() => process.exit(0));
  setTimeout(() => process.exit(0), 5_000).unref();
});
