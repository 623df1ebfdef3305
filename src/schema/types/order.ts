import { orderCursor } from '../../services/order-reader.js';
import { ITEM_STATUSES, ORDER_STATUSES, ORDER_TYPES, type Role } from '../../domain/vocabulary.js';
import { itemsForStation, type OrderItemSnapshot, type OrderSnapshot } from '../../domain/order-snapshot.js';
import { builder, viewerOf } from '../builder.js';
import { StationRef } from './restaurant.js';

/** Who may do what (the contract's table). */
export const FRONT_OF_HOUSE: readonly Role[] = ['OWNER', 'MANAGER', 'CASHIER', 'SERVER'];
export const KITCHEN: readonly Role[] = ['OWNER', 'MANAGER', 'KITCHEN', 'EXPO'];
export const RUSH: readonly Role[] = ['OWNER', 'MANAGER', 'CASHIER', 'SERVER', 'EXPO'];

export const OrderTypeEnum = builder.enumType('OrderType', { values: ORDER_TYPES });
export const OrderStatusEnum = builder.enumType('OrderStatus', { values: ORDER_STATUSES });
export const ItemStatusEnum = builder.enumType('ItemStatus', { values: ITEM_STATUSES });

const OrderItemRef = builder.objectRef<OrderItemSnapshot>('OrderItem').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    quantity: t.exposeInt('quantity'),
    modifiers: t.exposeStringList('modifiers'),
    notes: t.exposeString('notes', { nullable: true }),
    station: t.field({ type: StationRef, nullable: true, resolve: (item) => item.station }),
    status: t.field({ type: ItemStatusEnum, resolve: (item) => item.status }),
  }),
});

export const OrderRef = builder.objectRef<OrderSnapshot>('Order').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    number: t.exposeInt('number', { description: 'Ticket number shown on screens; unique and increasing within a restaurant.' }),
    type: t.field({ type: OrderTypeEnum, resolve: (order) => order.type }),
    status: t.field({ type: OrderStatusEnum, resolve: (order) => order.status }),
    rush: t.exposeBoolean('rush'),
    table: t.exposeString('table', { nullable: true }),
    customerName: t.exposeString('customerName', { nullable: true }),
    notes: t.exposeString('notes', { nullable: true }),
    items: t.field({
      type: [OrderItemRef],
      description:
        "The order's items; with stationId, only the items routed to that station (all of them for an expo station).",
      args: { stationId: t.arg.id() },
      // Synchronous without a station, as nearly every screen asks: no promise per order per event.
      resolve: (order, { stationId }, context) =>
        stationId == null
          ? order.items
          : context.stations.load(String(stationId)).then((station) => (station ? itemsForStation(order, station) : [])),
    }),
    version: t.exposeInt('version', { description: 'Grows by at least one on every change; pass it back as expectedVersion.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    readyAt: t.expose('readyAt', { type: 'DateTime', nullable: true }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    cancelledAt: t.expose('cancelledAt', { type: 'DateTime', nullable: true }),
    cancelReason: t.exposeString('cancelReason', { nullable: true }),
  }),
});

interface PageInfoShape {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

const PageInfoRef = builder.objectRef<PageInfoShape>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const OrderEdgeRef = builder.objectRef<{ cursor: string; node: OrderSnapshot }>('OrderEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: OrderRef, resolve: (edge) => edge.node }),
  }),
});

const OrderConnectionRef = builder
  .objectRef<{ edges: { cursor: string; node: OrderSnapshot }[]; pageInfo: PageInfoShape }>('OrderConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [OrderEdgeRef], resolve: (connection) => connection.edges }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (connection) => connection.pageInfo }),
    }),
  });

const OrderItemInput = builder.inputType('OrderItemInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    quantity: t.int({ required: true, defaultValue: 1 }),
    modifiers: t.stringList({ required: false, defaultValue: [] }),
    notes: t.string(),
    stationId: t.id({ description: "Where the item is cooked; the restaurant's first non-expo station when left out." }),
  }),
});

const PlaceOrderInput = builder.inputType('PlaceOrderInput', {
  fields: (t) => ({
    clientRequestId: t.string({
      required: true,
      description: 'Idempotency key chosen by the POS: a retry with the same key returns the first order.',
    }),
    type: t.field({ type: OrderTypeEnum, required: true, defaultValue: 'DINE_IN' }),
    table: t.string(),
    customerName: t.string(),
    notes: t.string(),
    rush: t.boolean({ defaultValue: false }),
    items: t.field({ type: [OrderItemInput], required: true }),
  }),
});

const UpdateOrderInput = builder.inputType('UpdateOrderInput', {
  fields: (t) => ({
    table: t.string(),
    customerName: t.string(),
    notes: t.string(),
    addItems: t.field({ type: [OrderItemInput] }),
    voidItemIds: t.idList(),
  }),
});

builder.queryFields((t) => ({
  order: t.field({
    type: OrderRef,
    nullable: true,
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) => context.services.reader.order(viewerOf(context).restaurantId, String(id)),
  }),
  kitchenQueue: t.field({
    type: [OrderRef],
    description: 'The live queue (PENDING, PREPARING, READY), rush first, then oldest first.',
    authScopes: { viewer: true },
    args: { stationId: t.arg.id() },
    resolve: async (_root, { stationId }, context) => {
      const { restaurantId } = viewerOf(context);
      const station = stationId == null ? null : await context.stations.load(String(stationId));
      if (stationId != null && !station) return [];
      return context.services.reader.kitchenQueue(restaurantId, station);
    },
  }),
  orders: t.field({
    type: OrderConnectionRef,
    description: 'Order history, newest first.',
    authScopes: { viewer: true },
    args: {
      status: t.arg({ type: [OrderStatusEnum] }),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: async (_root, args, context) => {
      const page = await context.services.reader.orders(viewerOf(context).restaurantId, args);
      const edges = page.orders.map((node) => ({ cursor: orderCursor(node), node }));
      return {
        edges,
        pageInfo: {
          hasNextPage: page.hasNextPage,
          hasPreviousPage: page.hasPreviousPage,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
}));

builder.mutationFields((t) => ({
  placeOrder: t.field({
    type: OrderRef,
    authScopes: { role: FRONT_OF_HOUSE },
    args: { input: t.arg({ type: PlaceOrderInput, required: true }) },
    resolve: (_root, { input }, context) =>
      context.services.orders.placeOrder(viewerOf(context).restaurantId, input),
  }),
  updateOrder: t.field({
    type: OrderRef,
    authScopes: { role: FRONT_OF_HOUSE },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateOrderInput, required: true }),
      expectedVersion: t.arg.int(),
    },
    resolve: (_root, { id, input, expectedVersion }, context) =>
      context.services.orders.updateOrder(viewerOf(context).restaurantId, String(id), input, expectedVersion),
  }),
  bumpOrder: t.field({
    type: OrderRef,
    description: 'One step forward: PENDING -> PREPARING -> READY -> COMPLETED.',
    authScopes: { role: KITCHEN },
    args: { id: t.arg.id({ required: true }), expectedVersion: t.arg.int() },
    resolve: (_root, { id, expectedVersion }, context) =>
      context.services.orders.bumpOrder(viewerOf(context).restaurantId, String(id), expectedVersion),
  }),
  recallOrder: t.field({
    type: OrderRef,
    description: 'One step back: COMPLETED -> READY -> PREPARING -> PENDING.',
    authScopes: { role: KITCHEN },
    args: { id: t.arg.id({ required: true }), expectedVersion: t.arg.int() },
    resolve: (_root, { id, expectedVersion }, context) =>
      context.services.orders.recallOrder(viewerOf(context).restaurantId, String(id), expectedVersion),
  }),
  setOrderStatus: t.field({
    type: OrderRef,
    description: 'Any single legal step: a bump, a recall, or CANCELLED from a live status.',
    authScopes: { role: KITCHEN },
    args: {
      id: t.arg.id({ required: true }),
      status: t.arg({ type: OrderStatusEnum, required: true }),
      expectedVersion: t.arg.int(),
    },
    resolve: (_root, { id, status, expectedVersion }, context) =>
      context.services.orders.setOrderStatus(viewerOf(context).restaurantId, String(id), status, expectedVersion),
  }),
  cancelOrder: t.field({
    type: OrderRef,
    authScopes: { role: FRONT_OF_HOUSE },
    args: { id: t.arg.id({ required: true }), reason: t.arg.string(), expectedVersion: t.arg.int() },
    resolve: (_root, { id, reason, expectedVersion }, context) =>
      context.services.orders.cancelOrder(viewerOf(context).restaurantId, String(id), reason, expectedVersion),
  }),
  setItemStatus: t.field({
    type: OrderRef,
    description: "Station-level bump of one item; returns the item's order.",
    authScopes: { role: KITCHEN },
    args: { itemId: t.arg.id({ required: true }), status: t.arg({ type: ItemStatusEnum, required: true }) },
    resolve: (_root, { itemId, status }, context) =>
      context.services.orders.setItemStatus(viewerOf(context).restaurantId, String(itemId), status),
  }),
  setOrderRush: t.field({
    type: OrderRef,
    authScopes: { role: RUSH },
    args: { id: t.arg.id({ required: true }), rush: t.arg.boolean({ required: true }) },
    resolve: (_root, { id, rush }, context) =>
      context.services.orders.setOrderRush(viewerOf(context).restaurantId, String(id), rush),
  }),
}));
