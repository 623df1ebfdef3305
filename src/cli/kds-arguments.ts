/**
 * The `kds` CLI's arguments, errors and output: everything a command needs before it touches the
 * database, so that a usage error answers at once (the commands are in kds.ts).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BadUserInputError, DomainError } from '../domain/errors.js';
import { ROLES, type Role } from '../domain/vocabulary.js';
import type { StationInput } from '../services/restaurant-directory.js';
import { MAX_STATION_NAME } from '../services/restaurant-names.js';

/** Bad arguments: exit 2, nothing was done. */
export class UsageError extends Error {
  readonly code = 'USAGE_ERROR';
}

/** A well-formed command that failed: exit 1. */
export class CommandError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'DATABASE_UNAVAILABLE',
    message: string,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface Output {
  json: boolean;
}

/** Resolves once the text is handed to the OS, so that exiting right after loses nothing. */
export function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

/** One line of JSON, or the human text. */
export function print(output: Output, json: unknown, human: () => string): Promise<void> {
  return write(process.stdout, output.json ? `${JSON.stringify(json)}\n` : `${human()}\n`);
}

/**
 * node:util takes `--ttl -5h` for an option with no value followed by an unknown option `-5`: a
 * value that reads as a negative number is joined to its option, so that its check can explain it.
 */
function joinNegativeValues(args: string[], options: Options): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.startsWith('--') ? args[i]!.slice(2) : undefined;
    const next = args[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`--${name}=${next}`);
      i++;
    } else {
      joined.push(args[i]!);
    }
  }
  return joined;
}

export function parse<T extends Options>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args: joinNegativeValues(args, options), options: { ...COMMON, ...options }, strict: true, allowPositionals: false })
      .values;
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

export function required(value: string | boolean | undefined, option: string): string {
  if (typeof value !== 'string') throw new UsageError(`--${option} is required`);
  if (!value.trim()) throw new UsageError(`--${option} must not be empty`);
  return value.trim();
}

export function optional(value: string | boolean | undefined, option: string): string | undefined {
  return value === undefined ? undefined : required(value, option);
}

export function checkName(value: string, option: string, max: number): string {
  if (value.length > max) throw new UsageError(`--${option} must be at most ${max} characters`);
  return value;
}

/** `Grill,Fry,Expo*`: in order, a trailing star marks the expo station (one at most). */
export function parseStations(value: string): StationInput[] {
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
  const expos = stations.filter((station) => station.expo).map((station) => `"${station.name}"`);
  if (expos.length > 1) throw new UsageError(`--stations: a restaurant has one expo station, not ${expos.length} (${expos.join(', ')})`);
  return stations;
}

export function parseRole(value: string): Role {
  const role = value.toUpperCase();
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`--role "${value}" is not a role: use one of ${ROLES.join(', ')}`);
  }
  return role as Role;
}

export async function parseTtlOption(value: string): Promise<number> {
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

/** Why the database could not be opened, as a CommandError. */
export function databaseUnavailable(error: unknown): CommandError {
  return new CommandError('DATABASE_UNAVAILABLE', `cannot open the database: ${oneLine(error)}`);
}

/**
 * The error as one line on stderr (JSON with --json: `{"error":{"code","message"}}`, and `field`
 * for bad input) and the exit code: 2 for a usage error, 1 for anything else.
 */
export async function report(error: unknown, output: Output): Promise<number> {
  const usage = error instanceof UsageError;
  const field = error instanceof BadUserInputError ? error.extensions.field : undefined;
  const message = `${typeof field === 'string' ? `--${field}: ` : ''}${oneLine(error)}`;
  const code = error instanceof UsageError || error instanceof CommandError || error instanceof DomainError ? error.code : 'FAILED';
  const json = { error: { code, message, ...(typeof field === 'string' ? { field } : {}) } };
  await write(process.stderr, output.json ? `${JSON.stringify(json)}\n` : `kds: ${message}${usage ? ' (see kds --help)' : ''}\n`);
  return usage ? 2 : 1;
}
