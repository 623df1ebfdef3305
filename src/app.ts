import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { TokenService } from './auth/tokens.js';
import type { Config } from './config/config.js';
import { openDatabase } from './db/orm.js';
import { createSqlPool } from './db/sql.js';
import { createInProcessBus } from './pubsub/in-process.js';
import { createRedisBus } from './pubsub/redis.js';
import type { Services } from './schema/context.js';
import { createHttpServer } from './server/http.js';
import { createLogger } from './server/logger.js';
import { attachGraphQLWebSocket } from './server/websocket.js';
import { createKdsYoga } from './server/yoga.js';
import type { EventBus } from './services/event-bus.js';
import { EventStream, type EventStreamOptions } from './services/event-stream.js';
import { KitchenStream } from './services/kitchen-stream.js';
import { OrderReader } from './services/order-reader.js';
import { OrderWorkflow } from './services/order-workflow.js';
import { RestaurantDirectory } from './services/restaurant-directory.js';

export interface AppOptions {
  config: Config;
  /** Overrides config.databaseUrl (the embedded database's URL). */
  databaseUrl?: string;
  log?: Logger;
  /** Wraps the bus the config chose: tests drop or count publishes with it. */
  wrapBus?: (bus: EventBus) => EventBus;
  stream?: EventStreamOptions;
}

const KNOWN_RESTAURANT_TTL_MS = 60_000;
const PRUNE_EVERY_MS = 15 * 60_000;
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Remembers restaurants that exist for a minute, so a request's token check is usually free; a
 * burst of screens of one restaurant connecting at once shares one lookup.
 */
function cachedExistence(exists: (id: string) => Promise<boolean>) {
  const known = new Map<string, number>();
  const inFlight = new Map<string, Promise<boolean>>();
  return (id: string): Promise<boolean> => {
    if ((known.get(id) ?? 0) > Date.now()) return Promise.resolve(true);
    let lookup = inFlight.get(id);
    if (!lookup) {
      lookup = exists(id)
        .then((found) => {
          if (found) known.set(id, Date.now() + KNOWN_RESTAURANT_TTL_MS);
          return found;
        })
        .finally(() => inFlight.delete(id));
      inFlight.set(id, lookup);
    }
    return lookup;
  };
}

/**
 * The composition root: the only place that opens connections. `start()` listens (port 0 for a
 * free one); `stop()` drains: sockets are told to reconnect elsewhere (1001), in-flight requests
 * finish, then the stream, the bus and the pool close.
 */
export async function createApp(options: AppOptions) {
  const { config } = options;
  const log = options.log ?? createLogger(config);
  const databaseUrl = options.databaseUrl ?? config.databaseUrl;
  if (!databaseUrl) throw new Error('createApp needs a database URL');

  const orm = await openDatabase(databaseUrl, { logger: (message) => log.debug(message) });
  const statements = createSqlPool(databaseUrl, (error) => log.warn({ err: error }, 'idle database connection'));
  const baseBus = config.redisUrl ? createRedisBus(config.redisUrl, log) : createInProcessBus();
  const bus = options.wrapBus ? options.wrapBus(baseBus) : baseBus;

  const reader = new OrderReader(statements.sql);
  const restaurants = new RestaurantDirectory(orm);
  const events = new EventStream(orm, bus, {
    onError: (error) => log.warn({ err: error }, 'event stream'),
    ...options.stream,
  });
  const services: Services = {
    orders: new OrderWorkflow(statements.sql, events),
    reader,
    restaurants,
    events,
    stream: new KitchenStream(events, reader),
  };
  await services.orders.preloadStations();
  const tokens = new TokenService(config.jwt, cachedExistence((id) => restaurants.exists(id)));

  const closing = new AbortController();
  const yoga = createKdsYoga({
    services,
    tokens,
    log,
    production: config.production,
    closing: closing.signal,
  });
  const ready = async () => {
    const [database, pubsub] = await Promise.all([orm.isConnected(), bus.ping()]);
    return database && pubsub;
  };
  const server = createHttpServer(yoga, ready, log, config.corsOrigins);
  const sockets = attachGraphQLWebSocket(server, yoga, tokens, log);

  const prune = () =>
    events.prune(config.eventRetentionHours).then(
      (count) => count > 0 && log.info({ count }, 'pruned old kitchen events'),
      (error) => log.warn({ err: error }, 'pruning kitchen events failed'),
    );
  const pruner = setInterval(prune, PRUNE_EVERY_MS).unref();
  void prune();

  let stopping: Promise<void> | undefined;

  return {
    services,
    tokens,
    orm,
    log,
    async start(port = config.port, host = config.host): Promise<{ url: string; port: number }> {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      return { url: `http://${shown}:${address.port}/graphql`, port: address.port };
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        clearInterval(pruner);
        // close() stops accepting at once and calls back when in-flight requests have finished.
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        closing.abort();
        await sockets.close();
        // Keep-alive connections go idle only once their response is out: close them as they do.
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS).unref();
        await drained;
        clearInterval(idle);
        clearTimeout(force);
        events.close();
        await bus.close();
        await statements.close();
        await orm.close(true);
      })();
      return stopping;
    },
  };
}

export type App = Awaited<ReturnType<typeof createApp>>;
