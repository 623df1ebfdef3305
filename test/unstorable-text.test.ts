import { readFileSync } from 'node:fs';
import {
  buildSchema,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLInputType,
} from 'graphql';
import { expect, test } from 'vitest';
import type { EventBus } from '../src/services/event-bus.js';
import {
  BumpOrderDocument,
  CancelOrderDocument,
  OrderDocument,
  PlaceOrderDocument,
  RecallOrderDocument,
  SetItemStatusDocument,
  SetOrderRushDocument,
  SetOrderStatusDocument,
  UpdateOrderDocument,
  type OrderItemInput,
  type PlaceOrderInput,
} from './generated/graphql.js';
import { eventCount, orderCount } from './support/db.js';
import { gql, kitchen, newKey, ok, place, useTestApp, type GraphQLResponse } from './support/harness.js';

let publishes = 0;
const counting = (bus: EventBus): EventBus => ({
  publish: (channel, payload) => {
    publishes += 1;
    return bus.publish(channel, payload);
  },
  subscribe: bus.subscribe.bind(bus),
  onReconnect: bus.onReconnect.bind(bus),
  ping: bus.ping.bind(bus),
  close: bus.close.bind(bus),
});

const t = useTestApp({ wrapBus: counting });

/** Text PostgreSQL cannot store: an unpaired high surrogate (alone, first, last), an unpaired low one, a pair reversed, NUL. */
const UNSTORABLE = ['\ud800', 'a\ud83d', '\ud83da', '\udc00', 'a\udf54b', '\udf54\ud83c', 'a\u0000b'];

interface Target {
  /** The operation, sent with the bad text in one place; the rest of its input is valid. */
  send: (bad: string) => Promise<GraphQLResponse<unknown>>;
  /** The argument path that must be named: `mutation.path` in the schema's terms. */
  arg: string;
  field: string;
}

/** Every String and ID argument path of every mutation in the schema, e.g. `placeOrder.input.items.0.name`. */
function stringArgumentPaths(): string[] {
  const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
  const paths: string[] = [];
  const walk = (type: GraphQLInputType, path: string) => {
    const inner = isNonNullType(type) ? type.ofType : type;
    if (isListType(inner)) return walk(inner.ofType, `${path}.0`);
    const named = getNamedType(inner);
    if (isInputObjectType(named)) {
      for (const field of Object.values(named.getFields())) walk(field.type, `${path}.${field.name}`);
    } else if (named.name === 'String' || named.name === 'ID') {
      paths.push(path);
    }
  };
  for (const mutation of Object.values(schema.getMutationType()!.getFields())) {
    for (const arg of mutation.args) walk(arg.type, `${mutation.name}.${arg.name}`);
  }
  return paths.sort();
}

test('text PostgreSQL cannot store, in any string argument of any mutation, is BAD_USER_INPUT naming it; nothing is written or published', async () => {
  const { restaurant, token } = await kitchen(t);
  // A role that may call every mutation.
  const pos = token('MANAGER');
  const order = await place(t, pos);
  const id = order.id;
  const item = (bad: Partial<OrderItemInput>): OrderItemInput => ({ name: 'Fries', ...bad });
  const placeWith = (input: Partial<PlaceOrderInput>) =>
    gql(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'Burger' }], ...input } }, pos);
  const placeItem = (bad: Partial<OrderItemInput>) => placeWith({ items: [{ name: 'Burger' }, item(bad)] });
  const add = (bad: Partial<OrderItemInput>) => gql(t.url, UpdateOrderDocument, { id, input: { addItems: [item(bad)] } }, pos);

  const targets: Target[] = [
    { arg: 'placeOrder.input.clientRequestId', field: 'input.clientRequestId', send: (s) => placeWith({ clientRequestId: s }) },
    { arg: 'placeOrder.input.customerName', field: 'input.customerName', send: (s) => placeWith({ customerName: s }) },
    { arg: 'placeOrder.input.notes', field: 'input.notes', send: (s) => placeWith({ notes: s }) },
    { arg: 'placeOrder.input.table', field: 'input.table', send: (s) => placeWith({ table: s }) },
    { arg: 'placeOrder.input.items.0.name', field: 'input.items.1.name', send: (s) => placeItem({ name: s }) },
    { arg: 'placeOrder.input.items.0.modifiers.0', field: 'input.items.1.modifiers.1', send: (s) => placeItem({ modifiers: ['ok', s] }) },
    { arg: 'placeOrder.input.items.0.notes', field: 'input.items.1.notes', send: (s) => placeItem({ notes: s }) },
    { arg: 'placeOrder.input.items.0.stationId', field: 'input.items.1.stationId', send: (s) => placeItem({ stationId: s }) },
    { arg: 'updateOrder.id', field: 'id', send: (s) => gql(t.url, UpdateOrderDocument, { id: s, input: { table: 'T1' } }, pos) },
    { arg: 'updateOrder.input.customerName', field: 'input.customerName', send: (s) => gql(t.url, UpdateOrderDocument, { id, input: { customerName: s } }, pos) },
    { arg: 'updateOrder.input.notes', field: 'input.notes', send: (s) => gql(t.url, UpdateOrderDocument, { id, input: { notes: s } }, pos) },
    { arg: 'updateOrder.input.table', field: 'input.table', send: (s) => gql(t.url, UpdateOrderDocument, { id, input: { table: s } }, pos) },
    { arg: 'updateOrder.input.addItems.0.name', field: 'input.addItems.0.name', send: (s) => add({ name: s }) },
    { arg: 'updateOrder.input.addItems.0.modifiers.0', field: 'input.addItems.0.modifiers.0', send: (s) => add({ modifiers: [s] }) },
    { arg: 'updateOrder.input.addItems.0.notes', field: 'input.addItems.0.notes', send: (s) => add({ notes: s }) },
    { arg: 'updateOrder.input.addItems.0.stationId', field: 'input.addItems.0.stationId', send: (s) => add({ stationId: s }) },
    {
      arg: 'updateOrder.input.voidItemIds.0',
      field: 'input.voidItemIds.1',
      send: (s) => gql(t.url, UpdateOrderDocument, { id, input: { voidItemIds: [order.items[0]!.id, s] } }, pos),
    },
    { arg: 'bumpOrder.id', field: 'id', send: (s) => gql(t.url, BumpOrderDocument, { id: s }, pos) },
    { arg: 'recallOrder.id', field: 'id', send: (s) => gql(t.url, RecallOrderDocument, { id: s }, pos) },
    { arg: 'setOrderStatus.id', field: 'id', send: (s) => gql(t.url, SetOrderStatusDocument, { id: s, status: 'PREPARING' }, pos) },
    { arg: 'setOrderRush.id', field: 'id', send: (s) => gql(t.url, SetOrderRushDocument, { id: s, rush: true }, pos) },
    { arg: 'cancelOrder.id', field: 'id', send: (s) => gql(t.url, CancelOrderDocument, { id: s, reason: 'gone' }, pos) },
    { arg: 'cancelOrder.reason', field: 'reason', send: (s) => gql(t.url, CancelOrderDocument, { id, reason: s }, pos) },
    { arg: 'setItemStatus.itemId', field: 'itemId', send: (s) => gql(t.url, SetItemStatusDocument, { itemId: s, status: 'READY' }, pos) },
  ];
  // A mutation or string argument added to the schema fails here until it is in the table.
  expect(targets.map((target) => target.arg).sort()).toEqual(stringArgumentPaths());

  const before = { events: await eventCount(t.app, restaurant.id), orders: await orderCount(t.app, restaurant.id), publishes };
  for (const target of targets) {
    for (const bad of UNSTORABLE) {
      const response = await target.send(bad);
      const what = `${target.arg} = ${JSON.stringify(bad)}`;
      expect(response.status, what).toBe(200);
      expect(response.data ?? null, what).toBeNull();
      expect(response.errors?.map((error) => error.extensions), what).toEqual([{ code: 'BAD_USER_INPUT', field: target.field }]);
    }
  }
  expect({ events: await eventCount(t.app, restaurant.id), orders: await orderCount(t.app, restaurant.id), publishes }).toEqual(before);
  expect((await ok(t.url, OrderDocument, { id }, pos)).order).toEqual(order);
  // Queries only compare ids: such an id names nothing there.
  for (const bad of UNSTORABLE) expect(await gql(t.url, OrderDocument, { id: bad }, pos)).toEqual({ status: 200, data: { order: null } });

  // A surrogate pair (one code point) is text like any other, everywhere.
  const E = '🍔';
  const placed = await place(t, pos, [{ name: E, modifiers: [E], notes: E }], {
    clientRequestId: `${newKey()}${E}`,
    table: E,
    customerName: E,
    notes: E,
  });
  expect(placed).toMatchObject({ table: E, customerName: E, notes: E, items: [{ name: E, modifiers: [E], notes: E }] });
  expect(publishes).toBe(before.publishes + 1);
});
