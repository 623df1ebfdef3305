import { InvalidTransitionError } from './errors.js';

export const ROLES = ['OWNER', 'MANAGER', 'CASHIER', 'SERVER', 'KITCHEN', 'EXPO'] as const;
export type Role = (typeof ROLES)[number];

export const ORDER_TYPES = ['DINE_IN', 'TAKEOUT', 'DELIVERY'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

export const ORDER_STATUSES = ['PENDING', 'PREPARING', 'READY', 'COMPLETED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ITEM_STATUSES = ['PENDING', 'PREPARING', 'READY', 'VOIDED'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export const KITCHEN_EVENT_KINDS = [
  'SNAPSHOT',
  'ORDER_CREATED',
  'ORDER_UPDATED',
  'ORDER_STATUS_CHANGED',
  'ITEM_STATUS_CHANGED',
] as const;
export type KitchenEventKind = (typeof KITCHEN_EVENT_KINDS)[number];

/** The statuses a kitchen screen shows. */
export const LIVE_STATUSES: readonly OrderStatus[] = ['PENDING', 'PREPARING', 'READY'];

const LINE: readonly OrderStatus[] = ['PENDING', 'PREPARING', 'READY', 'COMPLETED'];

export function isLive(status: OrderStatus): boolean {
  return LIVE_STATUSES.includes(status);
}

export function nextStatus(from: OrderStatus): OrderStatus | undefined {
  const i = LINE.indexOf(from);
  return i >= 0 ? LINE[i + 1] : undefined;
}

export function previousStatus(from: OrderStatus): OrderStatus | undefined {
  const i = LINE.indexOf(from);
  return i > 0 ? LINE[i - 1] : undefined;
}

/** A single legal step: one forward, one back, or CANCELLED from a live status. */
export function isLegalStep(from: OrderStatus, to: OrderStatus): boolean {
  if (to === 'CANCELLED') return isLive(from);
  return nextStatus(from) === to || previousStatus(from) === to;
}

export function assertLegalStep(from: OrderStatus, to: OrderStatus | undefined): OrderStatus {
  if (to === undefined || !isLegalStep(from, to)) throw new InvalidTransitionError(from, to ?? from);
  return to;
}

/** The timestamp a status sets when an order enters it. */
export const ENTERED_AT = {
  PENDING: undefined,
  PREPARING: 'startedAt',
  READY: 'readyAt',
  COMPLETED: 'completedAt',
  CANCELLED: 'cancelledAt',
} as const satisfies Record<OrderStatus, string | undefined>;
