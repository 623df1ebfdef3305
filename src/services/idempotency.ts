import { createHash } from 'node:crypto';
import { BadUserInputError } from '../domain/errors.js';
import type { OrderSnapshot } from '../domain/order-snapshot.js';
import type { OrderStore } from '../store/order-store.js';

/** What makes placeOrder idempotent: the POS's key, and a digest of what it asked for under it. */
export interface PlaceRequest {
  clientRequestId: string;
  /** Tells a retry (the same content) from a reuse of the key for another order. */
  requestHash: string;
}

export function placeRequest({ clientRequestId, ...content }: { clientRequestId: string }): PlaceRequest {
  return { clientRequestId, requestHash: createHash('sha256').update(JSON.stringify(content)).digest('hex') };
}

/**
 * Answers a placeOrder that failed with `error` as the first request with its key was answered
 * (the order read now, after any earlier holder of the key committed), when it is a retry with
 * the same content; another request with the key is refused; `error` when the key names nothing.
 */
export async function answerAsBefore(
  store: OrderStore,
  restaurantId: string,
  request: PlaceRequest,
  error: unknown,
): Promise<OrderSnapshot> {
  const placed = await store.byRequestKey(restaurantId, request.clientRequestId);
  if (!placed) throw error;
  if (placed.requestHash !== request.requestHash) {
    throw new BadUserInputError('input.clientRequestId was already used for a different order', 'input.clientRequestId');
  }
  return placed.order;
}
