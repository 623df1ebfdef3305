import jwt from 'jsonwebtoken';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../../src/db/orm.js';
import type { Role } from '../../src/domain/vocabulary.js';

export interface BenchRestaurant {
  id: string;
  slug: string;
  stations: { grill: string; fry: string; expo: string };
}

/** Only ever 127.0.0.1: the bench never talks to anything else. */
export function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(base: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(base, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`"${name}" is not a plain database name`);
  return `"${name}"`;
};

/**
 * A migrated template, made once per bench invocation; every measured run gets a fresh copy of it
 * (CREATE DATABASE ... TEMPLATE is a file copy: far faster than migrating each time).
 */
export async function prepareTemplate(base: string, name: string): Promise<void> {
  const template = `${name}_template`;
  await admin(base, async (client) => {
    await client.query(`drop database if exists ${ident(template)} with (force)`);
    await client.query(`create database ${ident(template)}`);
  });
  const orm = await openDatabase(databaseUrl(base, template), { logger: () => {} });
  await orm.close(true);
}

export async function freshDatabase(base: string, name: string): Promise<string> {
  await admin(base, async (client) => {
    await client.query(`drop database if exists ${ident(name)} with (force)`);
    await client.query(`create database ${ident(name)} template ${ident(`${name}_template`)}`);
  });
  return databaseUrl(base, name);
}

export async function dropDatabases(base: string, name: string): Promise<void> {
  await admin(base, async (client) => {
    await client.query(`drop database if exists ${ident(name)} with (force)`);
    await client.query(`drop database if exists ${ident(`${name}_template`)} with (force)`);
  });
}

/** Restaurants with Grill, Fry and Expo stations, written straight into the tables (fast for 500). */
export async function provision(url: string, count: number, prefix: string): Promise<BenchRestaurant[]> {
  const restaurants: BenchRestaurant[] = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    slug: `${prefix}-${i}`,
    stations: { grill: randomUUID(), fry: randomUUID(), expo: randomUUID() },
  }));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    for (let from = 0; from < restaurants.length; from += 1000) {
      const batch = restaurants.slice(from, from + 1000);
      await client.query('insert into restaurants (id, name, slug) select * from unnest($1::uuid[], $2::text[], $3::text[])', [
        batch.map((r) => r.id),
        batch.map((r) => `Bench ${r.slug}`),
        batch.map((r) => r.slug),
      ]);
      const stations = batch.flatMap((r) => [
        [r.stations.grill, r.id, 'Grill', false, 0],
        [r.stations.fry, r.id, 'Fry', false, 1],
        [r.stations.expo, r.id, 'Expo', true, 2],
      ]);
      await client.query(
        'insert into stations (id, restaurant_id, name, expo, position) select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::bool[], $5::int[])',
        [0, 1, 2, 3, 4].map((column) => stations.map((row) => row[column])),
      );
    }
    await client.query('commit');
  } finally {
    await client.end();
  }
  return restaurants;
}

/**
 * Both children run as deployed (NODE_ENV=production), where the development secret is refused:
 * they get this one, made anew for each bench process.
 */
export const BENCH_JWT_SECRET = `kds-bench-${randomBytes(16).toString('hex')}`;

/** A token the server (and the baseline) accept: HS256 with the bench's secret. */
export function tokenFor(restaurantId: string, role: Role, sub: string, ttlSeconds = 6 * 3600): string {
  return jwt.sign({ sub, restaurantId, role }, BENCH_JWT_SECRET, { algorithm: 'HS256', expiresIn: ttlSeconds });
}
