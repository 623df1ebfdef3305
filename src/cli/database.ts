import type { MikroORM, Options } from '@mikro-orm/postgresql';
import { loadConfig, type Config } from '../config/config.js';
import { findRunningEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded-postgres.js';
import { openDatabase } from '../db/orm.js';

/** How long to keep trying when the embedded PostgreSQL is being started or stopped by someone else. */
const RACE_MS = 10_000;
/** How long one that we started waits for other clients (another CLI) before stopping. */
const DRAIN_MS = 10_000;

export interface ConfiguredDatabase {
  orm: MikroORM;
  close(): Promise<void>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The embedded PostgreSQL under `.data/`, shared: when the server (or another CLI) runs it already,
 * connect to that one, since a second PostgreSQL cannot run on the same data directory. Only when
 * nothing answers on its port is it started here (`started`), and then it is ours to stop.
 */
async function embeddedDatabase(config: Config, deadline: number): Promise<{ db: EmbeddedDatabase; started: boolean }> {
  for (;;) {
    const running = await findRunningEmbeddedPostgres(config.embeddedPgPort);
    if (running) return { db: running, started: false };
    try {
      return { db: await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort), started: true };
    } catch (error) {
      // Most likely another process (the server, another CLI) is starting it at the same time,
      // and this PostgreSQL stopped at the other's lock file: look again.
      if (Date.now() < deadline) {
        await pause(200 + Math.random() * 300);
        continue;
      }
      const reason = error instanceof Error ? `: ${error.message}` : '';
      throw new Error(`Could not start the embedded PostgreSQL on port ${config.embeddedPgPort}${reason}`);
    }
  }
}

/** Names this process's connections, to tell them from other clients of the same PostgreSQL. */
const APPLICATION_NAME = `kds-cli-${process.pid}`;

function withApplicationName(options: Partial<Options> = {}): Partial<Options> {
  const driverOptions = options.driverOptions ?? {};
  return {
    ...options,
    driverOptions: { ...driverOptions, connection: { application_name: APPLICATION_NAME, ...driverOptions.connection } },
  };
}

/** Before stopping a PostgreSQL we started: let other clients that found it running finish first. */
async function waitForOtherClients(orm: MikroORM): Promise<void> {
  const deadline = Date.now() + DRAIN_MS;
  while (Date.now() < deadline) {
    const [row] = await orm.em
      .getConnection()
      .execute<{ others: number }[]>(
        `select count(*)::int as others from pg_stat_activity
          where backend_type = 'client backend' and application_name <> ?`,
        [APPLICATION_NAME],
      );
    if (!row?.others) return;
    await pause(200);
  }
}

/**
 * The database the server would use: DATABASE_URL, or the embedded one under `.data/` (the running
 * server's when it runs; otherwise started here and stopped again by `close()`).
 */
export async function openConfiguredDatabase(
  options: { config?: Config; orm?: Partial<Options> } = {},
): Promise<ConfiguredDatabase> {
  const config = options.config ?? loadConfig();
  if (config.databaseUrl) {
    const orm = await openDatabase(config.databaseUrl, options.orm);
    return { orm, close: () => orm.close(true) };
  }
  const deadline = Date.now() + RACE_MS;
  for (;;) {
    const embedded = await embeddedDatabase(config, deadline);
    let orm: MikroORM;
    try {
      orm = await openDatabase(embedded.db.url, withApplicationName(options.orm));
    } catch (error) {
      await embedded.db.stop();
      // One that another process started may be shutting down under us: start over.
      if (!embedded.started && Date.now() < deadline) {
        await pause(200);
        continue;
      }
      throw error;
    }
    return {
      orm,
      async close() {
        try {
          if (embedded.started) await waitForOtherClients(orm).catch(() => {});
          await orm.close(true);
        } finally {
          await embedded.db.stop();
        }
      },
    };
  }
}
