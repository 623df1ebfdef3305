import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM, type Options } from '@mikro-orm/postgresql';
import { fileURLToPath } from 'node:url';
import { migrationsList } from '../../migrations/index.js';
import { entities } from './entities/index.js';

const migrationsPath = fileURLToPath(new URL('../../migrations', import.meta.url));

export function ormConfig(clientUrl: string, options: Partial<Options> = {}): Options {
  return defineConfig({
    clientUrl,
    entities,
    extensions: [Migrator],
    forceUtcTimezone: true,
    // Entities are EntitySchema definitions: nothing to reflect, nothing to scan.
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    migrations: {
      path: migrationsPath,
      pathTs: migrationsPath,
      // Imported, not scanned: works under tsx, vitest and compiled code alike.
      migrationsList,
      snapshot: true,
      snapshotName: '.snapshot-kds',
      emit: 'ts',
      transactional: true,
      allOrNothing: true,
    },
    // The hot path has a pool of its own (sql.ts): this one provisions, replays and prunes.
    pool: { min: 0, max: 5 },
    debug: false,
    ...options,
  });
}

/** Connects and brings the schema up to date: migrations run at every start. */
export async function openDatabase(clientUrl: string, options: Partial<Options> = {}): Promise<MikroORM> {
  const orm = await MikroORM.init(ormConfig(clientUrl, options));
  await orm.getMigrator().up();
  return orm;
}
