/**
 * The words every layer shares: who acts, what an order and its items can be, what the kitchen
 * stream says. The bottom of the import graph: this folder imports nothing of the project.
 */
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

/**
 * What an event of the restaurant's one stream is about: an order, the restaurant itself (its 86
 * list, its settings), a table, a dining session, a staff member's notification.
 */
export const EVENT_SUBJECTS = ['ORDER', 'RESTAURANT', 'TABLE', 'SESSION', 'NOTIFICATION'] as const;
export type EventSubject = (typeof EVENT_SUBJECTS)[number];
