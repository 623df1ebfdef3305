import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/sql.js';
import { BadUserInputError, NotFoundError, VersionConflictError } from '../domain/errors.js';
import { isId } from '../domain/ids.js';
import type { OrderSnapshot } from '../domain/order-snapshot.js';
import * as transitions from '../domain/order-transitions.js';
import type { Context, Transition } from '../domain/order-transitions.js';
import type { ItemStatus, OrderStatus } from '../domain/vocabulary.js';
import { isTakenRequestKey, OrderStore, type KnownOrder, type Locator } from '../store/order-store.js';
import { StationCatalog } from '../store/station-catalog.js';
import { answerAsBefore, placeRequest } from './idempotency.js';
import type { EventPublisher } from './event-log.js';
import {
  idInput,
  parseInput,
  placeOrderInput,
  reasonInput,
  updateOrderInput,
  type PlaceOrderInput,
  type UpdateOrderInput,
} from './order-input.js';
import { RecentOrders } from './recent-orders.js';
import { LOST, retryLostRaces } from './retry-policy.js';

/** What a change gets besides the order: a transition's context, and whether to read stations past the catalog's copy. */
interface ChangeContext extends Context {
  freshStations: boolean;
}

/** A transition, and the digest of the stations it gave new items (if it added any). */
type Applied = Transition & { stationsDigest?: string };

/**
 * Every change a POS or a kitchen makes to an order: parse the input, take the order (as this
 * instance last wrote it, or read), apply its pure transition (src/domain/order-transitions.ts),
 * write the order and its event in one statement (OrderStore), and publish the event after that
 * commit. A change that lost its race is tried again (retry-policy.ts); a failed change writes
 * and publishes nothing.
 */
export class OrderWorkflow {
  private readonly store: OrderStore;
  private readonly stations: StationCatalog;
  private readonly recent = new RecentOrders();

  constructor(
    sql: Sql,
    private readonly publisher: EventPublisher,
  ) {
    this.store = new OrderStore(sql);
    this.stations = new StationCatalog(sql);
  }

  /** Reads every restaurant's stations ahead of their first orders (see StationCatalog.preload). */
  preloadStations(): Promise<void> {
    return this.stations.preload();
  }

  placeOrder(restaurantId: string, rawInput: PlaceOrderInput): Promise<OrderSnapshot> {
    const input = parseInput(placeOrderInput, rawInput, 'input');
    const request = placeRequest(input);
    return retryLostRaces(
      async (first) => {
        let change: Transition;
        let stationsDigest: string;
        try {
          const stations = await this.stations.forItems(restaurantId, input.items, !first);
          stationsDigest = stations.digest;
          change = transitions.placeOrder({ ...input, stations: stations.list }, this.context(!first));
        } catch (error) {
          // A retry answers as the first request did, whatever became of its stations since.
          return answerAsBefore(this.store, restaurantId, request, error);
        }
        let written;
        try {
          written = await this.store.insert(restaurantId, change, { ...request, stationsDigest });
        } catch (error) {
          if (!isTakenRequestKey(error)) throw error;
          return answerAsBefore(this.store, restaurantId, request, error);
        }
        // The stations changed since the catalog read them (or there is no such restaurant).
        if (!written) return LOST;
        change.order.number = written.number;
        return this.committed(restaurantId, change, written.sequence, stationsDigest);
      },
      async () => {
        throw new NotFoundError('Restaurant');
      },
    );
  }

  updateOrder(restaurantId: string, orderId: string, rawInput: UpdateOrderInput, expectedVersion?: number | null) {
    const input = parseInput(updateOrderInput, rawInput, 'input');
    if (Object.values(input).every((value) => value === undefined)) {
      throw new BadUserInputError('input names nothing to change', 'input');
    }
    return this.change(restaurantId, { orderId }, expectedVersion, async (order, context) => {
      if (!input.addItems?.length) return transitions.updateOrder(order, input, context);
      const stations = await this.stations.forItems(restaurantId, input.addItems, context.freshStations);
      const change = transitions.updateOrder(order, { ...input, stations: stations.list }, context);
      return { ...change, stationsDigest: stations.digest };
    });
  }

  bumpOrder(restaurantId: string, orderId: string, expectedVersion?: number | null) {
    return this.change(restaurantId, { orderId }, expectedVersion, transitions.bumpOrder);
  }

  recallOrder(restaurantId: string, orderId: string, expectedVersion?: number | null) {
    return this.change(restaurantId, { orderId }, expectedVersion, transitions.recallOrder);
  }

  setOrderStatus(restaurantId: string, orderId: string, status: OrderStatus, expectedVersion?: number | null) {
    return this.change(restaurantId, { orderId }, expectedVersion, (o, c) => transitions.setOrderStatus(o, status, c));
  }

  cancelOrder(restaurantId: string, orderId: string, reason?: string | null, expectedVersion?: number | null) {
    const cancelReason = parseInput(reasonInput, reason, 'reason') ?? null;
    return this.change(restaurantId, { orderId }, expectedVersion, (o, c) => transitions.cancelOrder(o, cancelReason, c));
  }

  setOrderRush(restaurantId: string, orderId: string, rush: boolean) {
    return this.change(restaurantId, { orderId }, null, (o, c) => transitions.setOrderRush(o, rush, c));
  }

  setItemStatus(restaurantId: string, itemId: string, status: ItemStatus) {
    return this.change(restaurantId, { itemId }, null, (o, c) => transitions.setItemStatus(o, itemId, status, c));
  }

  private context(freshStations: boolean): ChangeContext {
    return { at: new Date().toISOString(), newId: randomUUID, freshStations };
  }

  /**
   * Takes the order (remembered or read), checks its version, applies the transition, and writes
   * it with its event if the order is still at that version; else reads again.
   */
  private change(
    restaurantId: string,
    locator: Locator,
    expectedVersion: number | null | undefined,
    apply: (order: OrderSnapshot, context: ChangeContext) => Applied | Promise<Applied>,
  ): Promise<OrderSnapshot> {
    const [notFound, id] =
      'orderId' in locator
        ? ['Order', parseInput(idInput, locator.orderId, 'id')]
        : ['Order item', parseInput(idInput, locator.itemId, 'itemId')];
    if (!isId(id)) throw new NotFoundError(notFound);
    return retryLostRaces(
      async (first) => {
        let known = first && 'orderId' in locator ? this.recent.take(restaurantId, locator.orderId) : undefined;
        // A copy that disagrees with the caller's version may be the stale one: the table decides.
        if (known && expectedVersion != null && expectedVersion !== known.order.version) known = undefined;
        const remembered = known !== undefined;
        known ??= await this.current(restaurantId, locator, expectedVersion);
        let change: Applied;
        try {
          change = await apply(known.order, this.context(!first));
        } catch (error) {
          // Only the order as it stands may refuse a change: a remembered copy may be overtaken.
          if (!remembered) throw error;
          this.recent.forget(known.order.id);
          return LOST;
        }
        const digests = change.stationsDigest ? [known.stationsDigest, change.stationsDigest] : [known.stationsDigest];
        const sequence = await this.store.update(restaurantId, known.order, change, digests);
        if (sequence === undefined) {
          // Another change committed since the read (or the stations changed): read it and try again.
          this.recent.forget(known.order.id);
          return LOST;
        }
        return this.committed(restaurantId, change, sequence, known.stationsDigest);
      },
      async () => {
        throw new VersionConflictError((await this.current(restaurantId, locator, expectedVersion)).order.version);
      },
    );
  }

  /** The order as it stands in the table, at the version the caller expects (if it names one). */
  private async current(restaurantId: string, locator: Locator, expectedVersion: number | null | undefined): Promise<KnownOrder> {
    const known = await this.store.find(restaurantId, locator);
    if (!known) throw new NotFoundError('orderId' in locator ? 'Order' : 'Order item');
    if (expectedVersion != null && expectedVersion !== known.order.version) throw new VersionConflictError(known.order.version);
    return known;
  }

  /** After the write committed: remember the order as written, publish its event. */
  private async committed(restaurantId: string, { order, event }: Transition, sequence: number, stationsDigest: string) {
    this.recent.remember(restaurantId, order, stationsDigest);
    await this.publisher.publish({ restaurantId, sequence, at: order.updatedAt, subject: 'ORDER', subjectId: order.id, ...event, order });
    return order;
  }
}
