import type DataLoader from 'dataloader';
import type { Viewer } from '../auth/viewer.js';
import type { EventStream } from '../services/event-stream.js';
import type { KitchenStream } from '../services/kitchen-stream.js';
import type { OrderReader } from '../services/order-reader.js';
import type { StationSnapshot } from '../domain/order-snapshot.js';
import type { OrderWorkflow } from '../services/order-workflow.js';
import type { RestaurantDirectory } from '../services/restaurant-directory.js';

export interface Services {
  orders: OrderWorkflow;
  reader: OrderReader;
  restaurants: RestaurantDirectory;
  /** The restaurant's one event stream: changes of any subject append to it in their transaction. */
  events: EventStream;
  stream: KitchenStream;
}

export interface GraphQLContext {
  /** Null when the request carried no valid token: only introspection works then. */
  viewer: Viewer | null;
  services: Services;
  /** The viewer's restaurant's stations by id, once per operation (a subscription's whole life). */
  stations: DataLoader<string, StationSnapshot | null>;
}
