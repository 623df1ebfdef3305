import { KitchenEventSchema } from './kitchen-event.js';
import { OrderItemSchema } from './order-item.js';
import { OrderSchema } from './order.js';
import { RestaurantSchema } from './restaurant.js';
import { StationSchema } from './station.js';

export { KitchenEvent } from './kitchen-event.js';
export { OrderItem } from './order-item.js';
export { Order } from './order.js';
export { Restaurant } from './restaurant.js';
export { Station } from './station.js';

/** The explicit entity list: no folder scanning, no decorators. */
export const entities = [RestaurantSchema, StationSchema, OrderSchema, OrderItemSchema, KitchenEventSchema];
