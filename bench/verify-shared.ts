/**
 * `npx tsx bench/verify-shared.ts`: checks that screens sharing one execution per event get what
 * they would get alone. Screens in several configurations (the same document, a station filter,
 * `items(stationId: $var)` in the selection, another role, a differently formatted document, a
 * resume by cursor) follow one restaurant while orders are placed, bumped and moved item by item.
 * Every `next` frame must equal, byte for byte, graphql-tools' execution (yoga's own engine) of
 * the same document on the same event with that screen's own context. On its own database.
 */
import { execute as engineExecute } from '@graphql-tools/executor';
import { parse, type DocumentNode, type ExecutionResult } from 'graphql';
import { pino } from 'pino';
import WebSocket from 'ws';
import DataLoader from 'dataloader';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { schema } from '../src/schema/index.js';
import type { GraphQLContext } from '../src/schema/context.js';
import type { QueueItem } from '../src/services/kitchen-stream.js';
import type { Role } from '../src/domain/vocabulary.js';
import { dropDatabases, freshDatabase, prepareTemplate } from './lib/db.js';
import { KITCHEN_QUEUE } from './lib/screens.js';

const BASE = 'postgres://postgres@127.0.0.1:5432/postgres';
const NAME = 'kds_bench_verify';

const ITEMS_BY_STATION = `subscription ByStation($stationId: ID) {
  kitchenQueue(stationId: $stationId) { kind cursor order { id number version items(stationId: $stationId) { id name status station { name } } } }
}`;

interface Config {
  label: string;
  query: string;
  variables: Record<string, unknown>;
  role: Role;
}

async function main() {
  await prepareTemplate(BASE, NAME);
  const url = await freshDatabase(BASE, NAME);
  const config = loadConfig({ DATABASE_URL: url, REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'silent' });
  const app = await createApp({ config, log: pino({ level: 'silent' }) });
  const { port } = await app.start(0, '127.0.0.1');
  const http = `http://127.0.0.1:${port}/graphql`;
  const ws = `ws://127.0.0.1:${port}/graphql`;
  let failures = 0;
  const fail = (message: string) => {
    failures += 1;
    if (failures <= 20) console.log(`FAIL ${message}`);
  };
  try {
    const restaurant = await app.services.restaurants.create({
      name: 'Verify',
      slug: `verify-${Date.now()}`,
      stations: [
        { name: 'Grill', expo: false },
        { name: 'Fry', expo: false },
        { name: 'Expo', expo: true },
      ],
    });
    const [grill, fry, expo] = [restaurant.stations[0]!, restaurant.stations[1]!, restaurant.stations[2]!];
    const token = (role: Role) => app.tokens.sign({ sub: `verify-${role}`, restaurantId: restaurant.id, role }, 3600);
    const reformatted = KITCHEN_QUEUE.replace(/\s+/g, ' ');
    const configs: Config[] = [
      ...[1, 2, 3].map((i) => ({ label: `all-${i}`, query: KITCHEN_QUEUE, variables: {}, role: 'KITCHEN' as Role })),
      { label: 'all-expo-role', query: KITCHEN_QUEUE, variables: {}, role: 'EXPO' },
      { label: 'all-reformatted', query: reformatted, variables: {}, role: 'KITCHEN' },
      ...[1, 2].map((i) => ({ label: `grill-${i}`, query: KITCHEN_QUEUE, variables: { stationId: grill.id }, role: 'KITCHEN' as Role })),
      { label: 'fry', query: KITCHEN_QUEUE, variables: { stationId: fry.id }, role: 'KITCHEN' },
      ...[1, 2].map((i) => ({ label: `items-grill-${i}`, query: ITEMS_BY_STATION, variables: { stationId: grill.id }, role: 'KITCHEN' as Role })),
      { label: 'items-fry', query: ITEMS_BY_STATION, variables: { stationId: fry.id }, role: 'KITCHEN' },
      { label: 'items-expo', query: ITEMS_BY_STATION, variables: { stationId: expo.id }, role: 'KITCHEN' },
    ];

    const screens = await Promise.all(configs.map((c) => open(ws, token(c.role), c)));
    const mutate = async (query: string, variables: Record<string, unknown>) => {
      const response = await fetch(http, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token('MANAGER')}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: Record<string, { id: string; items?: { id: string }[] }>; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return Object.values(body.data!)[0]!;
    };
    const place = (items: { name: string; stationId: string }[]) =>
      mutate('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id items { id } } }', {
        input: { clientRequestId: `v-${Math.random()}`, items, notes: 'verify' },
      });
    let resumed: Awaited<ReturnType<typeof open>> | undefined;
    for (let round = 0; round < 4; round++) {
      const a = await place([{ name: 'Burger', stationId: grill.id }]);
      const b = await place([{ name: 'Fries', stationId: fry.id }]);
      const c = await place([
        { name: 'Burger', stationId: grill.id },
        { name: 'Fries', stationId: fry.id },
      ]);
      await mutate('mutation($id: ID!) { bumpOrder(id: $id) { id } }', { id: a.id });
      await mutate('mutation($id: ID!, $s: ItemStatus!) { setItemStatus(itemId: $id, status: $s) { id } }', { id: c.items![0]!.id, s: 'READY' });
      await mutate('mutation($id: ID!) { setOrderRush(id: $id, rush: true) { id } }', { id: b.id });
      if (round === 1) {
        // A screen that drops and resumes by cursor while the others go on.
        const first = screens[0]!;
        resumed = await open(ws, token('KITCHEN'), { ...configs[0]!, label: 'resumed' }, first.frames.at(-1)!.cursor);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (resumed) screens.push(resumed);

    // The reference: yoga's engine executing the document on each event, with the screen's own context.
    const documents = new Map<string, DocumentNode>();
    const stationsLoader = () =>
      new DataLoader(async (ids: readonly string[]) => Promise.all(ids.map((id) => app.services.restaurants.station(restaurant.id, id))));
    let compared = 0;
    for (const screen of screens) {
      let document = documents.get(screen.config.query);
      if (!document) documents.set(screen.config.query, (document = parse(screen.config.query)));
      for (const frame of screen.frames) {
        if (frame.kind === 'SNAPSHOT') continue;
        const replay = app.services.stream.kitchenQueue(restaurant.id, { after: frame.sequence - 1 });
        const item = (await replay.next()).value as QueueItem;
        await replay.return?.();
        const contextValue: GraphQLContext = {
          viewer: { id: 'x', restaurantId: restaurant.id, role: screen.config.role, name: null, expiresAt: 0 },
          services: app.services,
          stations: stationsLoader(),
        };
        const expected = (await engineExecute({
          schema,
          document,
          rootValue: item,
          contextValue,
          variableValues: screen.config.variables,
        })) as ExecutionResult;
        const expectedFrame = JSON.stringify({ id: '1', type: 'next', payload: expected });
        compared += 1;
        if (expectedFrame !== frame.raw) fail(`${screen.config.label} seq ${frame.sequence}:\n  got      ${frame.raw}\n  expected ${expectedFrame}`);
      }
      // Station filter: every event a station screen got concerns its station.
      const station = screen.config.variables.stationId as string | undefined;
      if (station && station !== expo.id) {
        for (const frame of screen.frames) {
          const order = frame.payload?.order as { items?: { station?: { name: string } }[] } | undefined;
          if (frame.kind !== 'SNAPSHOT' && order?.items && order.items.length === 0) fail(`${screen.config.label} got an order with none of its items`);
        }
      }
    }
    const counts = screens.map((s) => `${s.config.label}:${s.frames.length}`).join(' ');
    console.log(`frames per screen: ${counts}`);
    console.log(`${compared} frames compared with yoga's engine; ${failures} failures`);
    for (const screen of screens) screen.socket.terminate();
  } finally {
    await app.stop();
    await dropDatabases(BASE, NAME).catch(() => {});
  }
  process.exit(failures ? 1 : 0);
}

interface Frame {
  raw: string;
  kind: string;
  cursor: string;
  sequence: number;
  payload: Record<string, unknown> | undefined;
}

function open(url: string, token: string, config: Config, after?: string) {
  const frames: Frame[] = [];
  const socket = new WebSocket(url, 'graphql-transport-ws');
  return new Promise<{ socket: WebSocket; frames: Frame[]; config: Config }>((resolve, reject) => {
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data: Buffer) => {
      const raw = data.toString();
      const message = JSON.parse(raw) as { type: string; payload?: { data?: { kitchenQueue?: Record<string, unknown> } } };
      if (message.type === 'connection_ack') {
        const variables = after ? { ...config.variables, after } : config.variables;
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: config.query, variables } }));
        if (after) resolve({ socket, frames, config });
      } else if (message.type === 'next') {
        const event = message.payload!.data!.kitchenQueue!;
        const cursor = event.cursor as string;
        frames.push({ raw, kind: event.kind as string, cursor, sequence: Number(Buffer.from(cursor, 'base64url').toString().slice(3)), payload: event });
        if (event.kind === 'SNAPSHOT') resolve({ socket, frames, config });
      } else if (message.type === 'error') {
        reject(new Error(raw));
      }
    });
    socket.on('error', reject);
  });
}

await main();
