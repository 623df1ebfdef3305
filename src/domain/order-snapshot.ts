import type { ItemStatus, OrderStatus, OrderType } from './vocabulary.js';

export interface StationSnapshot {
  id: string;
  name: string;
  expo: boolean;
}

export interface OrderItemSnapshot {
  id: string;
  name: string;
  quantity: number;
  modifiers: string[];
  notes: string | null;
  station: StationSnapshot | null;
  status: ItemStatus;
}

/**
 * An order as it stood at one moment, in plain JSON. Queries return it, kitchen events store it,
 * and the GraphQL Order type resolves from it, so fanning an event out to screens touches no database.
 */
export interface OrderSnapshot {
  id: string;
  number: number;
  type: OrderType;
  status: OrderStatus;
  rush: boolean;
  table: string | null;
  customerName: string | null;
  notes: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  readyAt: string | null;
  completedAt: string | null;
  cancelledAt: string | null;
  cancelReason: string | null;
  items: OrderItemSnapshot[];
}

/** Whether a screen of `station` cares about this order: expo sees all, others their own items. */
export function concernsStation(order: OrderSnapshot, station: StationSnapshot): boolean {
  return station.expo || order.items.some((item) => item.station?.id === station.id);
}

export function itemsForStation(order: OrderSnapshot, station: StationSnapshot | null): OrderItemSnapshot[] {
  if (!station || station.expo) return order.items;
  return order.items.filter((item) => item.station?.id === station.id);
}
