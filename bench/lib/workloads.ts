/** What one workload does; every size can be overridden from the command line. */
export interface Workload {
  name: WorkloadName;
  description: string;
  restaurants: number;
  screensPerRestaurant: number;
  /** Concurrent HTTP senders (each places an order, then bumps it). */
  senders: number;
  /** Open loop: `orders` orders at `rate` a second. */
  orders?: number;
  rate?: number;
  /** Closed loop: as many orders as the senders can push in this time. */
  durationS?: number;
  /** Count SQL statements through the counting relay. */
  countSql: boolean;
  /** storm: traffic before the drop, the outage, traffic after the resume (seconds). */
  storm?: { beforeS: number; outageS: number; afterS: number };
}

export type WorkloadName = 'fanout' | 'tenants' | 'max' | 'idle' | 'storm';
export const WORKLOAD_NAMES: WorkloadName[] = ['fanout', 'tenants', 'max', 'idle', 'storm'];

export const WORKLOADS: Record<WorkloadName, Workload> = {
  fanout: {
    name: 'fanout',
    description: '1 restaurant x 200 screens, 200 orders at 20/s (each bumped once)',
    restaurants: 1,
    screensPerRestaurant: 200,
    senders: 4,
    orders: 200,
    rate: 20,
    countSql: true,
  },
  tenants: {
    name: 'tenants',
    description: '500 restaurants x 4 screens, 200 orders/s for 30 s (each bumped once)',
    restaurants: 500,
    screensPerRestaurant: 4,
    senders: 32,
    orders: 6000,
    rate: 200,
    countSql: false,
  },
  max: {
    name: 'max',
    description: '20 restaurants x 5 screens, 16 closed-loop senders for 20 s (each order bumped once)',
    restaurants: 20,
    screensPerRestaurant: 5,
    senders: 16,
    durationS: 20,
    countSql: false,
  },
  idle: {
    name: 'idle',
    description: '5,000 screens (500 restaurants x 10) connected and subscribed, no traffic',
    restaurants: 500,
    screensPerRestaurant: 10,
    senders: 0,
    countSql: false,
  },
  storm: {
    name: 'storm',
    description: '2,000 screens (100 restaurants x 20) drop at once and resume with their cursors while 100 orders/s keep coming',
    restaurants: 100,
    screensPerRestaurant: 20,
    senders: 16,
    rate: 100,
    countSql: true,
    storm: { beforeS: 3, outageS: 1, afterS: 5 },
  },
};

/** `--quick`: the same shapes, a few screens, seconds each (the smoke test uses sizes like these). */
export const QUICK: Record<WorkloadName, Partial<Workload>> = {
  fanout: { screensPerRestaurant: 10, orders: 20, rate: 20 },
  tenants: { restaurants: 10, screensPerRestaurant: 2, orders: 40, rate: 20, senders: 4 },
  max: { restaurants: 2, screensPerRestaurant: 2, senders: 4, durationS: 2 },
  idle: { restaurants: 10, screensPerRestaurant: 5 },
  storm: { restaurants: 5, screensPerRestaurant: 4, rate: 20, senders: 4, storm: { beforeS: 1, outageS: 0.5, afterS: 1 } },
};
