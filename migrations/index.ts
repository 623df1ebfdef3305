import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122050030 } from './Migration20261122050030.js';
import { Migration20261204205604 } from './Migration20261204205604.js';

/** Every migration, in order. `npm run migrate -- create` writes a new file: add it here. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261122050030', class: Migration20261122050030 },
  { name: 'Migration20261204205604', class: Migration20261204205604 },
];
