/**
 * `npm run kds -- <command>`: provisioning from the command line (restaurants, stations, tokens).
 *
 * Exit codes scripts can rely on: 0 success, 2 usage error (nothing was done), 1 a well-formed
 * command that failed (slug taken, restaurant not found, database unreachable...). Every command
 * takes --json and then prints exactly one line of JSON on stdout; errors go to stderr, one line
 * (with --json, a JSON line too).
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../domain/errors.js';
import { ROLES } from '../domain/vocabulary.js';
import type { RestaurantDirectory, RestaurantSummary } from '../services/restaurant-directory.js';
import { isSlug, MAX_RESTAURANT_NAME, MAX_SLUG, MAX_STATION_NAME, slugify } from '../services/restaurant-names.js';
import {
  checkName,
  CommandError,
  databaseUnavailable,
  optional,
  parse,
  parseRole,
  parseStations,
  parseTtlOption,
  print,
  report,
  required,
  UsageError,
  write,
} from './kds-arguments.js';

// The ORM, zod and jsonwebtoken load in seconds: imported when a command needs them, so that a
// usage error or --help answers at once.
const loadConfig = async () => (await import('../config/config.js')).loadConfig();

const DEFAULT_TTL = '12h';

const USAGE = `Usage: npm run kds -- <command> [options]

Commands:
  restaurant create --name NAME [--slug SLUG] --stations "Grill,Fry,Expo*"
      Creates a restaurant with its stations, in order; a trailing * marks the expo station.
      Without --slug, the slug is derived from the name.
  restaurant list
      Lists the restaurants and their stations.
  station add --restaurant ID|SLUG --name NAME [--expo]
      Adds a station to a restaurant (after its other stations).
  token --restaurant ID|SLUG --role ROLE [--sub ID] [--name NAME] [--ttl 12h]
      Prints a bearer token for the restaurant. ROLE: ${ROLES.join(', ')}.
      --sub defaults to a fresh id; --ttl like 90s, 15m, 12h, 7d or plain seconds (default ${DEFAULT_TTL}).
  help
      Prints this text.

Options for every command:
  --json    one line of JSON on stdout, for scripts; an error is then one line of JSON on stderr:
            {"error":{"code":"USAGE_ERROR"|"BAD_USER_INPUT"|"NOT_FOUND"|"DATABASE_UNAVAILABLE"|"FAILED","message":"..."}}
  --help    this text

Database: DATABASE_URL, or else the embedded PostgreSQL under .data/ (the running server's, if it runs).
JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE as for the server.
Exit codes: 0 success, 2 usage error, 1 the command failed.
`;

function restaurantJson(r: RestaurantSummary) {
  return { id: r.id, slug: r.slug, name: r.name, stations: r.stations.map(({ id, name, expo }) => ({ id, name, expo })) };
}

function restaurantText(r: RestaurantSummary): string {
  const stations = r.stations.length
    ? r.stations.map((s) => `    ${s.name}${s.expo ? ' (expo)' : ''}  ${s.id}`).join('\n')
    : '    (no stations)';
  return `${r.name}  slug ${r.slug}  id ${r.id}\n  Stations:\n${stations}`;
}

/** Opens the database for `work`, and closes it whatever happens. */
async function withDirectory<T>(work: (directory: RestaurantDirectory) => Promise<T>): Promise<T> {
  const config = await loadConfig();
  const [{ openConfiguredDatabase }, { RestaurantDirectory }] = await Promise.all([
    import('./database.js'),
    import('../services/restaurant-directory.js'),
  ]);
  let db;
  try {
    db = await openConfiguredDatabase({ config, orm: { logger: () => {} } });
  } catch (error) {
    throw databaseUnavailable(error);
  }
  try {
    return await work(new RestaurantDirectory(db.orm));
  } finally {
    await db.close();
  }
}

async function restaurantCreate(args: string[]): Promise<void> {
  const values = parse('restaurant create', args, {
    name: { type: 'string' },
    slug: { type: 'string' },
    stations: { type: 'string' },
  });
  if (values.help) return write(process.stdout, USAGE);
  const name = checkName(required(values.name, 'name'), 'name', MAX_RESTAURANT_NAME);
  const stations = parseStations(required(values.stations, 'stations'));
  const slug = optional(values.slug, 'slug');
  if (slug !== undefined && !isSlug(slug)) {
    throw new UsageError(`--slug "${slug}" must be lowercase letters, digits and single dashes, at most ${MAX_SLUG} characters`);
  }
  if (slug === undefined && !slugify(name)) throw new UsageError(`--name "${name}" gives no slug: pass --slug`);
  const output = { json: Boolean(values.json) };
  const restaurant = await withDirectory((directory) => directory.create({ name, slug, stations }));
  await print(output, restaurantJson(restaurant), () => `Created restaurant ${restaurantText(restaurant)}`);
}

async function restaurantList(args: string[]): Promise<void> {
  const values = parse('restaurant list', args, {});
  if (values.help) return write(process.stdout, USAGE);
  const restaurants = await withDirectory((directory) => directory.list());
  await print({ json: Boolean(values.json) }, restaurants.map(restaurantJson), () =>
    restaurants.length ? restaurants.map(restaurantText).join('\n\n') : 'No restaurants yet: create one with "restaurant create".',
  );
}

async function stationAdd(args: string[]): Promise<void> {
  const values = parse('station add', args, {
    restaurant: { type: 'string' },
    name: { type: 'string' },
    expo: { type: 'boolean' },
  });
  if (values.help) return write(process.stdout, USAGE);
  const restaurant = required(values.restaurant, 'restaurant');
  const name = checkName(required(values.name, 'name'), 'name', MAX_STATION_NAME);
  const expo = Boolean(values.expo);
  const station = await withDirectory((directory) =>
    directory.addStation(restaurant, { name, expo }).catch((error: unknown) => {
      throw error instanceof NotFoundError ? new CommandError('NOT_FOUND', `restaurant "${restaurant}" not found`) : error;
    }),
  );
  await print({ json: Boolean(values.json) }, { id: station.id, name: station.name, expo: station.expo }, () =>
    `Added ${station.expo ? 'expo station' : 'station'} "${station.name}" (id ${station.id}) to ${restaurant}`,
  );
}

async function token(args: string[]): Promise<void> {
  const values = parse('token', args, {
    restaurant: { type: 'string' },
    role: { type: 'string' },
    sub: { type: 'string' },
    name: { type: 'string' },
    ttl: { type: 'string' },
  });
  if (values.help) return write(process.stdout, USAGE);
  const idOrSlug = required(values.restaurant, 'restaurant');
  const role = parseRole(required(values.role, 'role'));
  const sub = optional(values.sub, 'sub') ?? `${role.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const name = optional(values.name, 'name');
  const ttlSeconds = await parseTtlOption(optional(values.ttl, 'ttl') ?? DEFAULT_TTL);
  const config = await loadConfig();
  const restaurant = await withDirectory((directory) => directory.find(idOrSlug));
  if (!restaurant) throw new CommandError('NOT_FOUND', `restaurant "${idOrSlug}" not found`);
  const [{ TokenService }, { default: jwt }] = await Promise.all([import('../auth/tokens.js'), import('jsonwebtoken')]);
  const tokens = new TokenService(config.jwt, async () => true);
  const signed = tokens.sign({ sub, restaurantId: restaurant.id, role, ...(name ? { name } : {}) }, ttlSeconds);
  const { exp } = jwt.decode(signed) as { exp: number };
  const expiresAt = new Date(exp * 1000).toISOString();
  await print({ json: Boolean(values.json) }, { token: signed, expiresAt, restaurantId: restaurant.id, role, sub }, () =>
    [
      `${role} token for ${restaurant.name} (${restaurant.slug}), sub ${sub}${name ? ` (${name})` : ''}, expires ${expiresAt}.`,
      'Send it as the header  Authorization: Bearer <token>',
      '',
      signed,
    ].join('\n'),
  );
}

const COMMANDS: Record<string, Record<string, (args: string[]) => Promise<void>> | ((args: string[]) => Promise<void>)> = {
  restaurant: { create: restaurantCreate, list: restaurantList },
  station: { add: stationAdd },
  token,
};

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('missing command: restaurant, station, token or help');
  if (command === 'help' || command === '--help' || command === '-h') return write(process.stdout, USAGE);
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!entry) throw new UsageError(`unknown command "${command}": use restaurant, station, token or help`);
  if (typeof entry === 'function') return entry(rest);
  const [sub, ...args] = rest;
  const names = Object.keys(entry);
  if (sub === '--help' || sub === '-h') return write(process.stdout, USAGE);
  if (sub === undefined || sub.startsWith('-')) throw new UsageError(`"${command}" needs a subcommand: ${names.join(' or ')}`);
  const handler = Object.hasOwn(entry, sub) ? entry[sub] : undefined;
  if (!handler) throw new UsageError(`unknown command "${command} ${sub}": use ${names.map((n) => `"${command} ${n}"`).join(' or ')}`);
  return handler(args);
}

async function main(argv: string[]): Promise<number> {
  try {
    await run(argv);
    return 0;
  } catch (error) {
    return report(error, { json: argv.includes('--json') });
  }
}

// Exits explicitly: nothing a library might leave open (a pool, a timer) should keep a script waiting.
process.exit(await main(process.argv.slice(2)));
