import { print } from 'graphql';
import { expect, test } from 'vitest';
import { KitchenQueueDocument, PlaceOrderDocument } from './generated/graphql.js';
import { createRestaurant, newKey, ok, startTestApp, tokenFor, useTestApp } from './support/harness.js';

const t = useTestApp();

interface SseEvent {
  event: string;
  data?: { data?: { kitchenQueue?: { kind: string; order: { id: string } | null } }; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** A subscription over server-sent events, as GraphiQL sends it: the token in the Authorization header. */
async function sse(url: string, query: string, token: string | undefined, variables: Record<string, unknown> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    signal: controller.signal,
    headers: {
      accept: 'text/event-stream',
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let ended = false;
  /** The next event (comments, the keep-alive pings, skipped); null once the stream has ended. */
  async function next(timeoutMs = 10_000): Promise<SseEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const boundary = buffer.indexOf('\n\n');
      if (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const lines = block.split('\n').filter((line) => !line.startsWith(':'));
        if (lines.length === 0) continue;
        const field = (name: string) => lines.find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1).trim();
        const data = field('data');
        return { event: field('event') ?? 'message', data: data ? JSON.parse(data) : undefined };
      }
      if (ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), left))),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) ended = true;
      else buffer += chunk.value;
    }
  }
  return { status: response.status, type: response.headers.get('content-type'), next, close: () => controller.abort() };
}

const QUEUE = print(KitchenQueueDocument);

test('kitchenQueue over server-sent events with an Authorization header: SNAPSHOT, then live orders', async () => {
  const restaurant = await createRestaurant(t.app);
  const stream = await sse(t.url, QUEUE, tokenFor(t.app, restaurant, 'KITCHEN'));
  expect(stream.status).toBe(200);
  expect(stream.type).toMatch(/^text\/event-stream/);
  expect((await stream.next())?.data?.data?.kitchenQueue?.kind).toBe('SNAPSHOT');

  const cashier = tokenFor(t.app, restaurant, 'CASHIER');
  const placed = await ok(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'Tacos' }] } }, cashier);
  const event = (await stream.next())?.data?.data?.kitchenQueue;
  expect(event?.kind).toBe('ORDER_CREATED');
  expect(event?.order?.id).toBe(placed.placeOrder.id);
  stream.close();
});

test('without a token the stream answers UNAUTHENTICATED and ends', async () => {
  const stream = await sse(t.url, QUEUE, undefined);
  const first = await stream.next();
  expect(first?.data?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect((await stream.next())?.event).toBe('complete');
  expect(await stream.next()).toBeNull();
});

test('the WebSocket limits hold over HTTP too: more than 30 aliases is BAD_USER_INPUT', async () => {
  const restaurant = await createRestaurant(t.app);
  const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: kind`).join(' ');
  const stream = await sse(t.url, `subscription { kitchenQueue { ${aliases} } }`, tokenFor(t.app, restaurant, 'KITCHEN'));
  expect((await stream.next())?.data?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  stream.close();
});

test('a token that expires while its stream is open ends it with UNAUTHENTICATED "Token expired"', async () => {
  const restaurant = await createRestaurant(t.app);
  const stream = await sse(t.url, QUEUE, tokenFor(t.app, restaurant, 'KITCHEN', 2));
  expect((await stream.next())?.data?.data?.kitchenQueue?.kind).toBe('SNAPSHOT');
  const expired = await stream.next(5_000);
  expect(expired?.data?.errors).toEqual([{ message: 'Token expired', extensions: { code: 'UNAUTHENTICATED' } }]);
  expect((await stream.next())?.event).toBe('complete');
  expect(await stream.next()).toBeNull();
});

test('stopping the server ends its open streams instead of waiting for them', async () => {
  const own = await startTestApp();
  const restaurant = await createRestaurant(own.app);
  const stream = await sse(own.url, QUEUE, tokenFor(own.app, restaurant, 'KITCHEN'));
  expect((await stream.next())?.data?.data?.kitchenQueue?.kind).toBe('SNAPSHOT');
  const stopped = own.stop();
  expect((await stream.next(5_000))?.event).toBe('complete');
  expect(await stream.next(5_000)).toBeNull();
  await stopped;
});
