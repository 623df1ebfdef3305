import { BadUserInputError, InvalidTransitionError, NotFoundError } from './errors.js';
import { assertLegalStep, ENTERED_AT, isLive, nextStatus, previousStatus } from './order-rules.js';
import type { OrderItemSnapshot, OrderSnapshot, StationSnapshot } from './order-snapshot.js';
import type { ItemStatus, KitchenEventKind, OrderStatus, OrderType } from './vocabulary.js';

/**
 * Every change to an order as a pure function: the order as it stands and a command in, the
 * order as it will stand and the event to append out, or a DomainError thrown. No clock, no ids,
 * no I/O: the moment and the id source come in the context, so each is tested with exact values.
 * The order passed in is never changed.
 */

export const MAX_ITEMS = 100;

/** What a change appends to the restaurant's stream, besides the order as it then stands. */
export interface EventToAppend {
  kind: Exclude<KitchenEventKind, 'SNAPSHOT'>;
  /** The status before the change, when the change moved it. */
  previousStatus: OrderStatus | null;
}

export interface Transition {
  order: OrderSnapshot;
  event: EventToAppend;
}

export interface Context {
  /** The moment of the change, as `Date#toISOString` writes it. */
  at: string;
  newId: () => string;
}

export interface ItemInput {
  name: string;
  quantity: number;
  modifiers?: string[] | null;
  notes?: string | null;
  stationId?: string | null;
}

export interface PlaceOrder {
  type: OrderType;
  rush?: boolean | null;
  table?: string | null;
  customerName?: string | null;
  notes?: string | null;
  items: ItemInput[];
  /** The restaurant's stations, in position order. */
  stations: readonly StationSnapshot[];
}

export interface UpdateOrder {
  table?: string | null;
  customerName?: string | null;
  notes?: string | null;
  voidItemIds?: string[] | null;
  addItems?: ItemInput[] | null;
  /** The restaurant's stations, in position order (needed only with addItems). */
  stations?: readonly StationSnapshot[];
}

/**
 * New items, each with its station: the one it names, else the first that is not expo. `path`
 * names the input list in the NOT_FOUND of a station that does not exist.
 */
export function newItems(inputs: ItemInput[], stations: readonly StationSnapshot[], path: string, context: Context): OrderItemSnapshot[] {
  const fallback = stations.find((station) => !station.expo) ?? null;
  return inputs.map((input, index) => {
    let station = fallback;
    if (input.stationId != null) {
      station = stations.find((s) => s.id === input.stationId) ?? null;
      if (!station) throw new NotFoundError(`Station of ${path}.${index}`);
    }
    return {
      id: context.newId(),
      name: input.name,
      quantity: input.quantity,
      modifiers: input.modifiers ?? [],
      notes: input.notes ?? null,
      station: station && { id: station.id, name: station.name, expo: station.expo },
      status: 'PENDING',
    };
  });
}

/** A new order; its number is the store's to give. */
export function placeOrder(command: PlaceOrder, context: Context): Transition {
  const { at } = context;
  const order: OrderSnapshot = {
    id: context.newId(),
    number: 0,
    type: command.type,
    status: 'PENDING',
    rush: command.rush ?? false,
    table: command.table ?? null,
    customerName: command.customerName ?? null,
    notes: command.notes ?? null,
    version: 1,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    readyAt: null,
    completedAt: null,
    cancelledAt: null,
    cancelReason: null,
    items: newItems(command.items, command.stations, 'input.items', context),
  };
  return { order, event: { kind: 'ORDER_CREATED', previousStatus: null } };
}

export function updateOrder(current: OrderSnapshot, command: UpdateOrder, context: Context): Transition {
  const order = liveDraft(current, context);
  if (command.table !== undefined) order.table = command.table;
  if (command.customerName !== undefined) order.customerName = command.customerName;
  if (command.notes !== undefined) order.notes = command.notes;
  for (const itemId of command.voidItemIds ?? []) {
    const item = order.items.find((i) => i.id === itemId);
    if (!item) throw new NotFoundError('Order item');
    if (item.status === 'VOIDED') throw new InvalidTransitionError('VOIDED', 'VOIDED');
    item.status = 'VOIDED';
  }
  if (command.addItems?.length) {
    if (order.items.length + command.addItems.length > MAX_ITEMS) {
      throw new BadUserInputError(`an order has at most ${MAX_ITEMS} items`, 'input.addItems');
    }
    order.items.push(...newItems(command.addItems, command.stations ?? [], 'input.addItems', context));
  }
  if (!order.items.some((item) => item.status !== 'VOIDED')) {
    throw new BadUserInputError('an order must keep at least one item that is not voided', 'input.voidItemIds');
  }
  return followItems(order, current.status, 'ORDER_UPDATED');
}

export const bumpOrder = (order: OrderSnapshot, context: Context) => step(order, nextStatus(order.status), context);

export const recallOrder = (order: OrderSnapshot, context: Context) => step(order, previousStatus(order.status), context);

export const setOrderStatus = (order: OrderSnapshot, status: OrderStatus, context: Context) => step(order, status, context);

export function cancelOrder(current: OrderSnapshot, reason: string | null, context: Context): Transition {
  const change = step(current, 'CANCELLED', context);
  change.order.cancelReason = reason;
  return change;
}

export function setOrderRush(current: OrderSnapshot, rush: boolean, context: Context): Transition {
  const order = liveDraft(current, context);
  order.rush = rush;
  return { order, event: { kind: 'ORDER_UPDATED', previousStatus: null } };
}

/** A station moves one item along the line; the order follows its items. */
export function setItemStatus(current: OrderSnapshot, itemId: string, status: ItemStatus, context: Context): Transition {
  const order = liveDraft(current, context);
  const item = order.items.find((i) => i.id === itemId);
  if (!item) throw new NotFoundError('Order item');
  // Voiding is the POS's call (updateOrder); a station moves items along the line only.
  if (item.status === 'VOIDED' || status === 'VOIDED' || item.status === status) {
    throw new InvalidTransitionError(item.status, status);
  }
  item.status = status;
  return followItems(order, current.status, 'ITEM_STATUS_CHANGED');
}

/** The order's next version, to change (its items too); the current one stays as it was. */
function draft(order: OrderSnapshot, { at }: Context): OrderSnapshot {
  return { ...order, items: order.items.map((item) => ({ ...item })), version: order.version + 1, updatedAt: at };
}

/** A draft of an order that is still on the line: only those may change but for their status. */
function liveDraft(order: OrderSnapshot, context: Context): OrderSnapshot {
  if (!isLive(order.status)) throw new InvalidTransitionError(order.status, order.status);
  return draft(order, context);
}

/** One status step of the whole order. */
function step(current: OrderSnapshot, target: OrderStatus | undefined, context: Context): Transition {
  const from = current.status;
  const to = assertLegalStep(from, target);
  const order = draft(current, context);
  enter(order, to, context.at);
  // The expo's bump marks the whole ticket done: its items follow.
  if (to === 'READY') {
    for (const item of order.items) if (item.status === 'PENDING' || item.status === 'PREPARING') item.status = 'READY';
  }
  return { order, event: { kind: 'ORDER_STATUS_CHANGED', previousStatus: from } };
}

/** The item rules: the first item started starts the order; all items ready makes it ready. */
function followItems(order: OrderSnapshot, before: OrderStatus, kind: EventToAppend['kind']): Transition {
  const at = order.updatedAt;
  const live = order.items.filter((item) => item.status !== 'VOIDED');
  if (live.every((item) => item.status === 'READY')) {
    if (order.status === 'PENDING' || order.status === 'PREPARING') enter(order, 'READY', at);
  } else if (live.some((item) => item.status !== 'PENDING')) {
    if (order.status === 'PENDING' || order.status === 'READY') enter(order, 'PREPARING', at);
  } else if (order.status === 'READY') {
    enter(order, 'PREPARING', at);
  }
  return { order, event: { kind, previousStatus: order.status !== before ? before : null } };
}

function enter(order: OrderSnapshot, status: OrderStatus, at: string): void {
  order.status = status;
  const stamp = ENTERED_AT[status];
  if (stamp) order[stamp] = at;
}
