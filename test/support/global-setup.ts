import pg from 'pg';
import { openDatabase } from '../../src/db/orm.js';
import { TEST_DATABASE_URL } from './env.js';

/** A fresh test database, migrated once: proves the migrations too. */
export default async function setup() {
  const url = new URL(TEST_DATABASE_URL);
  const name = url.pathname.slice(1);
  const admin = new URL(TEST_DATABASE_URL);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`drop database if exists "${name}" with (force)`);
  await client.query(`create database "${name}"`);
  await client.end();
  const orm = await openDatabase(TEST_DATABASE_URL, { logger: () => {} });
  await orm.close(true);
}
