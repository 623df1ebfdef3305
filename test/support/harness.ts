import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { pino } from 'pino';
import WebSocket from 'ws';
import { createApp, type App, type AppOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { Role } from '../../src/domain/vocabulary.js';
import type { RestaurantSummary, StationInput } from '../../src/services/restaurant-directory.js';
import { PlaceOrderDocument, type OrderFieldsFragment, type OrderItemInput, type PlaceOrderInput } from '../generated/graphql.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './env.js';

export interface TestApp {
  app: App;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/**
 * A real server on a free port, on the test database; with `redis: true`, on the shared Redis, with
 * a URL on that Redis (one a test started, see processes.ts, when it breaks its Redis).
 */
export async function startTestApp(
  options: { redis?: boolean | string; env?: Record<string, string> } & Partial<Omit<AppOptions, 'config'>> = {},
): Promise<TestApp> {
  const { redis, env, ...rest } = options;
  const config = loadConfig({
    DATABASE_URL: TEST_DATABASE_URL,
    ...(redis ? { REDIS_URL: redis === true ? TEST_REDIS_URL : redis } : {}),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await createApp({ config, log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), ...rest });
  let port: number;
  try {
    ({ port } = await app.start(0, '127.0.0.1'));
  } catch (error) {
    // The pool, the bus and the pruner are open already: close them, and report why it did not start.
    await app.stop().catch(() => {});
    throw error;
  }
  return {
    app,
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    stop: () => app.stop(),
  };
}

/**
 * One server for the whole test file: started before its tests, stopped after them. If it did not
 * start, every use of it throws the error that stopped it (not "cannot read url of undefined").
 */
export function useTestApp(options: Parameters<typeof startTestApp>[0] = {}): TestApp {
  let started: TestApp | undefined;
  let failed: unknown;
  beforeAll(async () => {
    try {
      started = await startTestApp(options);
    } catch (error) {
      failed = error;
      throw error;
    }
  });
  afterAll(() => started?.stop());
  const use = <K extends keyof TestApp>(key: K): TestApp[K] => {
    if (started) return started[key];
    throw failed === undefined
      ? new Error(`the test app is used before beforeAll started it (${key})`)
      : new Error(`the test app did not start: ${failed instanceof Error ? failed.message : String(failed)}`, { cause: failed });
  };
  return {
    get app() {
      return use('app');
    },
    get url() {
      return use('url');
    },
    get wsUrl() {
      return use('wsUrl');
    },
    stop: () => use('stop')(),
  };
}

export const DEFAULT_STATIONS: StationInput[] = [
  { name: 'Grill', expo: false },
  { name: 'Fry', expo: false },
  { name: 'Expo', expo: true },
];

/** Every test gets a restaurant of its own: that is the isolation. */
export function createRestaurant(app: App, stations: StationInput[] = DEFAULT_STATIONS): Promise<RestaurantSummary> {
  const suffix = randomUUID().slice(0, 8);
  return app.services.restaurants.create({ name: `Test ${suffix}`, slug: `test-${suffix}`, stations });
}

export function tokenFor(app: App, restaurant: { id: string }, role: Role, ttlSeconds = 3600): string {
  return app.tokens.sign({ sub: `${role.toLowerCase()}-${randomUUID().slice(0, 6)}`, restaurantId: restaurant.id, role }, ttlSeconds);
}

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

/** One operation over HTTP, typed by the codegen'd document. */
export async function gql<R, V>(
  url: string,
  document: TypedDocumentNode<R, V>,
  variables: V,
  token?: string,
): Promise<GraphQLResponse<R>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** The data of a call that must succeed. */
export async function ok<R, V>(url: string, document: TypedDocumentNode<R, V>, variables: V, token: string): Promise<R> {
  const result = await gql(url, document, variables, token);
  if (result.errors?.length || !result.data) throw new Error(`expected success: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** The `extensions.code` of a call that must fail. */
export async function errorCode<R, V>(
  url: string,
  document: TypedDocumentNode<R, V>,
  variables: V,
  token?: string,
): Promise<string | undefined> {
  const result = await gql(url, document, variables, token);
  return result.errors?.[0]?.extensions?.code as string | undefined;
}

export function wsClient(wsUrl: string, token: string | undefined, options: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    connectionParams: token === undefined ? undefined : { authorization: `Bearer ${token}` },
    ...options,
  });
}

/**
 * A subscription whose results arrive in a buffer, so a test can wait for exactly the events it
 * expects (with a timeout) and check that no others came.
 */
export function subscribe<R, V>(client: Client, document: TypedDocumentNode<R, V>, variables: V) {
  const results: ExecutionResult<R>[] = [];
  const waiters: (() => void)[] = [];
  let error: unknown;
  let completed = false;
  const notify = () => waiters.splice(0).forEach((wake) => wake());
  const dispose = client.subscribe<R>(
    { query: print(document), variables: variables as Record<string, unknown> },
    {
      next: (value) => {
        results.push(value as ExecutionResult<R>);
        notify();
      },
      error: (e) => {
        error = e;
        notify();
      },
      complete: () => {
        completed = true;
        notify();
      },
    },
  );
  return {
    results,
    get error() {
      return error;
    },
    get completed() {
      return completed;
    },
    dispose,
    /** Resolves with the first `count` results once they are there. */
    async take(count: number, timeoutMs = 10_000): Promise<ExecutionResult<R>[]> {
      const deadline = Date.now() + timeoutMs;
      while (results.length < count) {
        if (error) throw new Error(`subscription failed: ${JSON.stringify(error)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} results, got ${results.length} in ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return results.slice(0, count);
    },
  };
}

/**
 * Resolves once `condition` holds, checking it every `everyMs`; fails naming `what` after
 * `timeoutMs`. For state no event announces (a row lock taken, a subscription gone from Redis).
 */
export async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Resolves with the close event of a raw socket. */
export function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** The single error of a call that must fail (and wrote no data): its extensions, code included. */
export async function failure(result: Promise<{ errors?: { extensions?: Record<string, unknown> }[]; data?: unknown }>) {
  const response = await result;
  expect(response.errors, JSON.stringify(response)).toHaveLength(1);
  expect(response.data ?? null).toBeNull();
  return response.errors![0]!.extensions;
}

export interface KitchenOptions {
  stations?: StationInput[];
  /** The role of `pos` (CASHIER unless told). */
  pos?: Role;
  /** The role of `cook` (KITCHEN unless told). */
  cook?: Role;
}

/**
 * A restaurant of its own (Grill, Fry and Expo unless told) on `t`, with a POS token, a kitchen
 * token, its stations by name, and a token for any other role.
 */
export async function kitchen(t: Pick<TestApp, 'app'>, options: KitchenOptions = {}) {
  const restaurant = await createRestaurant(t.app, options.stations);
  const byName = Object.fromEntries(restaurant.stations.map((s) => [s.name, s]));
  return {
    restaurant,
    byName,
    /** The id of the station called `name`. */
    station: (name: string) => {
      const found = byName[name];
      if (!found) throw new Error(`no station ${name} in ${restaurant.stations.map((s) => s.name).join(', ')}`);
      return found.id;
    },
    pos: tokenFor(t.app, restaurant, options.pos ?? 'CASHIER'),
    cook: tokenFor(t.app, restaurant, options.cook ?? 'KITCHEN'),
    token: (role: Role) => tokenFor(t.app, restaurant, role),
  };
}

/** placeOrder that must succeed: one Burger unless told, a fresh clientRequestId. */
export async function place(
  t: Pick<TestApp, 'url'>,
  token: string,
  items: OrderItemInput[] = [{ name: 'Burger' }],
  extra: Omit<Partial<PlaceOrderInput>, 'items'> = {},
): Promise<OrderFieldsFragment> {
  const input = { clientRequestId: newKey(), items, ...extra };
  return (await ok(t.url, PlaceOrderDocument, { input }, token)).placeOrder;
}

export function itemsInput(count: number, extra: Record<string, unknown> = {}) {
  return Array.from({ length: count }, (_, i) => ({ name: `Item ${i + 1}`, ...extra }));
}

export const newKey = () => randomUUID();
