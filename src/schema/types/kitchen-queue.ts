import { KITCHEN_EVENT_KINDS } from '../../domain/vocabulary.js';
import type { QueueItem } from '../../services/kitchen-stream.js';
import { NotFoundError } from '../../domain/errors.js';
import { builder, viewerOf } from '../builder.js';
import { OrderRef, OrderStatusEnum } from './order.js';

const CURSOR_PREFIX = 'kq:';

export const queueCursor = (sequence: number) => Buffer.from(`${CURSOR_PREFIX}${sequence}`).toString('base64url');

/** A cursor that is not one of ours resumes nothing: the screen gets a SNAPSHOT. */
export function cursorSequence(cursor: string | null | undefined): number | undefined {
  if (!cursor) return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString();
  const sequence = decoded.startsWith(CURSOR_PREFIX) ? Number(decoded.slice(CURSOR_PREFIX.length)) : NaN;
  return Number.isSafeInteger(sequence) && sequence >= 0 ? sequence : undefined;
}

const KitchenEventKindEnum = builder.enumType('KitchenEventKind', { values: KITCHEN_EVENT_KINDS });

const KitchenQueueEventRef = builder.objectRef<QueueItem>('KitchenQueueEvent').implement({
  fields: (t) => ({
    kind: t.field({ type: KitchenEventKindEnum, resolve: (item) => item.kind }),
    cursor: t.string({
      description: "Opaque position in the restaurant's event stream; resume with kitchenQueue(after: cursor).",
      resolve: (item) => queueCursor(item.sequence),
    }),
    at: t.expose('at', { type: 'DateTime' }),
    order: t.field({
      type: OrderRef,
      nullable: true,
      description: 'The order as it stands after this change (null for SNAPSHOT).',
      resolve: (item) => item.order,
    }),
    previousStatus: t.field({
      type: OrderStatusEnum,
      nullable: true,
      description: 'Set on ORDER_STATUS_CHANGED.',
      resolve: (item) => item.previousStatus,
    }),
    orders: t.field({
      type: [OrderRef],
      nullable: true,
      description: "Set on SNAPSHOT: the whole live queue, in kitchenQueue's order.",
      resolve: (item) => item.orders ?? null,
    }),
  }),
});

builder.subscriptionType({});

builder.subscriptionFields((t) => ({
  kitchenQueue: t.field({
    type: KitchenQueueEventRef,
    description: [
      "The caller's restaurant's kitchen queue: a SNAPSHOT first, then every change in order.",
      'With `after`, the changes since that cursor are replayed instead of the SNAPSHOT,',
      'with no gap and no duplicate; a cursor that is too old or unknown gets a SNAPSHOT.',
    ].join('\n'),
    authScopes: { viewer: true },
    args: { stationId: t.arg.id(), after: t.arg.string() },
    subscribe: async (_root, { stationId, after }, context) => {
      const { restaurantId } = viewerOf(context);
      const station = stationId == null ? null : await context.stations.load(String(stationId));
      if (stationId != null && !station) throw new NotFoundError('Station');
      return context.services.stream.kitchenQueue(restaurantId, { after: cursorSequence(after), station });
    },
    resolve: (item) => item,
  }),
  orderChanged: t.field({
    type: KitchenQueueEventRef,
    description: "Every change of one order of the caller's restaurant, for POS and front-of-house screens.",
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, { id }, context) =>
      context.services.stream.orderChanges(viewerOf(context).restaurantId, String(id)),
    resolve: (item) => item,
  }),
}));
