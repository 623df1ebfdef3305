import type { Order } from '../db/entities/index.js';
import type { ItemStatus, OrderStatus, OrderType } from './order-rules.js';

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

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** Expects `items` and their stations loaded. */
export function snapshotOf(order: Order): OrderSnapshot {
  return {
    id: order.id,
    number: order.number,
    type: order.type,
    status: order.status,
    rush: order.rush,
    table: order.table,
    customerName: order.customerName,
    notes: order.notes,
    version: order.version,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    startedAt: iso(order.startedAt),
    readyAt: iso(order.readyAt),
    completedAt: iso(order.completedAt),
    cancelledAt: iso(order.cancelledAt),
    cancelReason: order.cancelReason,
    items: order.items.getItems().map((item) => ({
      id: item.id,
      name: item.name,
      quantity: item.quantity,
      modifiers: [...item.modifiers],
      notes: item.notes,
      station: item.station ? { id: item.station.id, name: item.station.name, expo: item.station.expo } : null,
      status: item.status,
    })),
  };
}

/** Whether a screen of `station` cares about this order: expo sees all, others their own items. */
export function concernsStation(order: OrderSnapshot, station: StationSnapshot): boolean {
  return station.expo || order.items.some((item) => item.station?.id === station.id);
}

export function itemsForStation(order: OrderSnapshot, station: StationSnapshot | null): OrderItemSnapshot[] {
  if (!station || station.expo) return order.items;
  return order.items.filter((item) => item.station?.id === station.id);
}
