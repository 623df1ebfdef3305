/**
 * `npm run migrate`: brings the configured database up to date (the server also does this at start).
 * `npm run migrate -- create`: writes a migration for what the entities changed (for developers).
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../config/config.js';
import { ormConfig } from '../db/orm.js';
import { openConfiguredDatabase } from './database.js';

const command = process.argv[2] ?? 'up';

if (command === 'up') {
  const db = await openConfiguredDatabase();
  const executed = await db.orm.getMigrator().getExecutedMigrations();
  console.log(`Database is up to date (${executed.length} migrations applied).`);
  await db.close();
} else if (command === 'create') {
  const url = loadConfig().databaseUrl;
  if (!url) throw new Error('Set DATABASE_URL to a scratch database to create a migration.');
  const orm = await MikroORM.init(ormConfig(url));
  await orm.getMigrator().up();
  const result = await orm.getMigrator().createMigration();
  console.log(result.fileName ? `Wrote migrations/${result.fileName}` : 'No changes to migrate.');
  await orm.close(true);
} else {
  console.error(`Unknown command "${command}": use "up" or "create".`);
  process.exit(2);
}
