import type { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../config/config.js';
import { startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { openDatabase } from '../db/orm.js';

/** The database the server would use: DATABASE_URL, or the embedded one under `.data/`. */
export async function openConfiguredDatabase(): Promise<{ orm: MikroORM; close(): Promise<void> }> {
  const config = loadConfig();
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort);
  const orm = await openDatabase(config.databaseUrl ?? embedded!.url);
  return {
    orm,
    async close() {
      await orm.close(true);
      await embedded?.stop();
    },
  };
}
