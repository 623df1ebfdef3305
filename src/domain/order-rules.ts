import { InvalidTransitionError } from './errors.js';
import type { OrderStatus } from './vocabulary.js';

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
