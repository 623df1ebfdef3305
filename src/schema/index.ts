import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './types/root.js';
import './types/scalars.js';
import './types/restaurant.js';
import './types/viewer.js';
import './types/order.js';
import './types/kitchen-queue.js';

export const schema = lexicographicSortSchema(builder.toSchema());
