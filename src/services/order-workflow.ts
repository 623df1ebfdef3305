import { LockMode, type MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import { Order, OrderItem, Restaurant, Station } from '../db/entities/index.js';
import { BadUserInputError, InvalidTransitionError, NotFoundError, VersionConflictError } from './errors.js';
import { isId } from './ids.js';
import { nextSequence, recordEvent, type KitchenEventPublisher, type KitchenEventRecord } from './kitchen-event-log.js';
import {
  parseInput,
  placeOrderInput,
  reasonInput,
  updateOrderInput,
  type OrderItemInput,
  type PlaceOrderInput,
  type UpdateOrderInput,
} from './order-input.js';
import {
  assertLegalStep,
  ENTERED_AT,
  isLive,
  nextStatus,
  previousStatus,
  type ItemStatus,
  type OrderStatus,
} from './order-rules.js';
import { snapshotOf, type OrderSnapshot } from './order-snapshot.js';

const MAX_ITEMS = 100;

interface Change {
  kind: KitchenEventRecord['kind'];
  /** The status before the change, when the change moved it. */
  previousStatus?: OrderStatus;
}

/** A retry of a placeOrder that already committed: leaves the transaction without writing. */
class AlreadyPlaced {
  constructor(readonly order: OrderSnapshot) {}
}

/**
 * Every change a POS or a kitchen makes to an order. Each runs in one transaction that locks the
 * order row, applies the rules, and appends one kitchen event; the event is published only
 * after the commit, and a failed change writes and publishes nothing.
 */
export class OrderWorkflow {
  constructor(
    private readonly orm: MikroORM,
    private readonly publisher: KitchenEventPublisher,
  ) {}

  async placeOrder(restaurantId: string, rawInput: PlaceOrderInput): Promise<OrderSnapshot> {
    const input = parseInput(placeOrderInput, rawInput, 'input');
    const { clientRequestId, ...content } = input;
    const requestHash = createHash('sha256').update(JSON.stringify(content)).digest('hex');
    try {
      const event = await this.em().transactional(async (em) => {
        // Taking the ticket number (and the event's sequence, in the same statement) locks the
        // restaurant row: concurrent placeOrders queue here, so numbers never repeat and a
        // concurrent retry sees the first order once it has committed. A retry or a refusal rolls
        // both back.
        const { number, sequence } = await this.takeNumberAndSequence(em, restaurantId);
        const existing = await em.findOne(Order, { restaurant: restaurantId, clientRequestId });
        if (existing) {
          if (existing.requestHash !== requestHash) {
            throw new BadUserInputError(
              'input.clientRequestId was already used for a different order',
              'input.clientRequestId',
            );
          }
          await em.populate(existing, ['items.station']);
          throw new AlreadyPlaced(snapshotOf(existing));
        }
        const stations = await this.stationsOf(em, restaurantId);
        const now = new Date();
        const order = em.create(Order, {
          restaurant: em.getReference(Restaurant, restaurantId),
          number,
          type: input.type,
          rush: input.rush ?? false,
          table: input.table ?? null,
          customerName: input.customerName ?? null,
          notes: input.notes ?? null,
          clientRequestId,
          requestHash,
          createdAt: now,
          updatedAt: now,
        });
        this.addItems(em, order, input.items, stations, 'input.items');
        // One flush writes the order, its items and its event.
        const event = recordEvent(em, restaurantId, sequence, 'ORDER_CREATED', snapshotOf(order));
        await em.flush();
        return event;
      });
      await this.publisher.publish(event);
      return event.order;
    } catch (error) {
      if (error instanceof AlreadyPlaced) return error.order;
      throw error;
    }
  }

  updateOrder(
    restaurantId: string,
    orderId: string,
    rawInput: UpdateOrderInput,
    expectedVersion?: number | null,
  ): Promise<OrderSnapshot> {
    const input = parseInput(updateOrderInput, rawInput, 'input');
    if (Object.values(input).every((value) => value === undefined)) {
      throw new BadUserInputError('input names nothing to change', 'input');
    }
    return this.change(restaurantId, orderId, expectedVersion, async (order, em) => {
      if (!isLive(order.status)) throw new InvalidTransitionError(order.status, order.status);
      if (input.table !== undefined) order.table = input.table;
      if (input.customerName !== undefined) order.customerName = input.customerName;
      if (input.notes !== undefined) order.notes = input.notes;
      for (const itemId of input.voidItemIds ?? []) {
        const item = order.items.find((i) => i.id === itemId);
        if (!item) throw new NotFoundError('Order item');
        if (item.status === 'VOIDED') throw new InvalidTransitionError('VOIDED', 'VOIDED');
        item.status = 'VOIDED';
      }
      if (input.addItems?.length) {
        if (order.items.length + input.addItems.length > MAX_ITEMS) {
          throw new BadUserInputError(`an order has at most ${MAX_ITEMS} items`, 'input.addItems');
        }
        this.addItems(em, order, input.addItems, await this.stationsOf(em, restaurantId), 'input.addItems');
      }
      if (!order.items.getItems().some((item) => item.status !== 'VOIDED')) {
        throw new BadUserInputError('an order must keep at least one item that is not voided', 'input.voidItemIds');
      }
      const before = order.status;
      this.followItems(order);
      return { kind: 'ORDER_UPDATED', previousStatus: order.status !== before ? before : undefined };
    });
  }

  bumpOrder(restaurantId: string, orderId: string, expectedVersion?: number | null) {
    return this.step(restaurantId, orderId, expectedVersion, nextStatus);
  }

  recallOrder(restaurantId: string, orderId: string, expectedVersion?: number | null) {
    return this.step(restaurantId, orderId, expectedVersion, previousStatus);
  }

  setOrderStatus(restaurantId: string, orderId: string, status: OrderStatus, expectedVersion?: number | null) {
    return this.step(restaurantId, orderId, expectedVersion, () => status);
  }

  cancelOrder(restaurantId: string, orderId: string, reason?: string | null, expectedVersion?: number | null) {
    const cancelReason = parseInput(reasonInput, reason, 'reason') ?? null;
    return this.step(restaurantId, orderId, expectedVersion, () => 'CANCELLED', (order) => {
      order.cancelReason = cancelReason;
    });
  }

  setOrderRush(restaurantId: string, orderId: string, rush: boolean): Promise<OrderSnapshot> {
    return this.change(restaurantId, orderId, null, async (order) => {
      if (!isLive(order.status)) throw new InvalidTransitionError(order.status, order.status);
      order.rush = rush;
      return { kind: 'ORDER_UPDATED' };
    });
  }

  async setItemStatus(restaurantId: string, itemId: string, status: ItemStatus): Promise<OrderSnapshot> {
    if (!isId(itemId)) throw new NotFoundError('Order item');
    const owner = await this.em().findOne(
      OrderItem,
      { id: itemId, order: { restaurant: restaurantId } },
      { fields: ['order'] },
    );
    if (!owner) throw new NotFoundError('Order item');
    return this.change(restaurantId, owner.order.id, null, async (order) => {
      const item = order.items.find((i) => i.id === itemId)!;
      if (!isLive(order.status)) throw new InvalidTransitionError(order.status, order.status);
      // Voiding is the POS's call (updateOrder); a station moves items along the line only.
      if (item.status === 'VOIDED' || status === 'VOIDED' || item.status === status) {
        throw new InvalidTransitionError(item.status, status);
      }
      item.status = status;
      const before = order.status;
      this.followItems(order);
      return { kind: 'ITEM_STATUS_CHANGED', previousStatus: order.status !== before ? before : undefined };
    });
  }

  /** One status step of the whole order. */
  private step(
    restaurantId: string,
    orderId: string,
    expectedVersion: number | null | undefined,
    target: (from: OrderStatus) => OrderStatus | undefined,
    alsoChange?: (order: Order) => void,
  ): Promise<OrderSnapshot> {
    return this.change(restaurantId, orderId, expectedVersion, async (order) => {
      const from = order.status;
      const to = assertLegalStep(from, target(from));
      this.enter(order, to);
      // The expo's bump marks the whole ticket done: its items follow.
      if (to === 'READY') {
        for (const item of order.items) if (item.status === 'PENDING' || item.status === 'PREPARING') item.status = 'READY';
      }
      alsoChange?.(order);
      return { kind: 'ORDER_STATUS_CHANGED', previousStatus: from };
    });
  }

  /** The item rules: the first item started starts the order; all items ready makes it ready. */
  private followItems(order: Order): void {
    const live = order.items.getItems().filter((item) => item.status !== 'VOIDED');
    if (live.every((item) => item.status === 'READY')) {
      if (order.status === 'PENDING' || order.status === 'PREPARING') this.enter(order, 'READY');
    } else if (live.some((item) => item.status !== 'PENDING')) {
      if (order.status === 'PENDING' || order.status === 'READY') this.enter(order, 'PREPARING');
    } else if (order.status === 'READY') {
      this.enter(order, 'PREPARING');
    }
  }

  private enter(order: Order, status: OrderStatus): void {
    order.status = status;
    const stamp = ENTERED_AT[status];
    if (stamp) order[stamp] = new Date();
  }

  /** Locks the order, checks its version, applies the change and appends its event; publishes after commit. */
  private async change(
    restaurantId: string,
    orderId: string,
    expectedVersion: number | null | undefined,
    apply: (order: Order, em: EntityManager) => Promise<Change>,
  ): Promise<OrderSnapshot> {
    if (!isId(orderId)) throw new NotFoundError('Order');
    const event = await this.em().transactional(async (em) => {
      const order = await em.findOne(
        Order,
        { id: orderId, restaurant: restaurantId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!order) throw new NotFoundError('Order');
      if (expectedVersion != null && expectedVersion !== order.version) {
        throw new VersionConflictError(order.version);
      }
      await em.populate(order, ['items.station']);
      const { kind, previousStatus } = await apply(order, em);
      order.version += 1;
      order.updatedAt = new Date();
      // The order row is locked already; the restaurant row's lock orders the events. One flush
      // writes the change and its event.
      const sequence = await nextSequence(em, restaurantId);
      const event = recordEvent(em, restaurantId, sequence, kind, snapshotOf(order), previousStatus ?? null);
      await em.flush();
      return event;
    });
    await this.publisher.publish(event);
    return event.order;
  }

  private addItems(
    em: EntityManager,
    order: Order,
    items: OrderItemInput[],
    stations: Station[],
    path: string,
  ): void {
    const fallback = stations.find((station) => !station.expo) ?? null;
    let position = order.items.isInitialized() ? order.items.length : 0;
    items.forEach((input, index) => {
      let station = fallback;
      if (input.stationId != null) {
        station = stations.find((s) => s.id === input.stationId) ?? null;
        if (!station) throw new NotFoundError(`Station of ${path}.${index}`);
      }
      order.items.add(
        em.create(OrderItem, {
          order,
          position: position++,
          name: input.name,
          quantity: input.quantity,
          modifiers: input.modifiers ?? [],
          notes: input.notes ?? null,
          station,
          status: 'PENDING',
        }),
      );
    });
  }

  private async takeNumberAndSequence(em: EntityManager, restaurantId: string): Promise<{ number: number; sequence: number }> {
    const rows = await em.execute<{ number: number; seq: string }[]>(
      'update restaurants set last_order_number = last_order_number + 1, last_event_sequence = last_event_sequence + 1 ' +
        'where id = ? returning last_order_number as number, last_event_sequence as seq',
      [restaurantId],
    );
    if (!rows[0]) throw new NotFoundError('Restaurant');
    return { number: rows[0].number, sequence: Number(rows[0].seq) };
  }

  private stationsOf(em: EntityManager, restaurantId: string): Promise<Station[]> {
    return em.find(Station, { restaurant: restaurantId }, { orderBy: { position: 'asc' } });
  }

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }
}
