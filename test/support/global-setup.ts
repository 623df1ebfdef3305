import pg from 'pg';
import { openDatabase } from '../../src/db/orm.js';

const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/kds_test';

function adminUrl(): string {
  const url = new URL(base);
  url.pathname = '/postgres';
  return url.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A database of this run's own, migrated once (which proves the migrations too). Runs side by side
 * (two terminals, CI and a developer) never share one; the workers inherit its URL.
 */
export default async function setup() {
  const url = new URL(base);
  const name = `${url.pathname.slice(1)}_${process.pid}`;
  url.pathname = `/${name}`;
  await admin(`drop database if exists "${name}" with (force)`);
  await admin(`create database "${name}"`);
  process.env.TEST_DATABASE_URL = url.toString();
  const orm = await openDatabase(url.toString(), { logger: () => {} });
  await orm.close(true);
  return async () => admin(`drop database if exists "${name}" with (force)`);
}
