import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config/config.js';

/** A SQLSTATE: what PostgreSQL's errors (and MikroORM's wrappers of them) carry as `code`. */
const SQLSTATE = /^[0-9A-Z]{5}$/;
const MAX_CAUSES = 3;

/**
 * A database error's own message, without what drivers add: knex puts the statement, with its
 * values written in, before " - "; and PostgreSQL ends some messages with the offending value
 * (`invalid input syntax for type uuid: "…"`).
 */
function databaseMessage(message: string): string {
  const cut = message.lastIndexOf(' - ');
  const own = cut < 0 ? message : message.slice(cut + 3);
  return own.replace(/: ".*"$/s, ': "…"');
}

/**
 * What a log line keeps of an error: its type, message, code and stack, and its causes. Never its
 * other properties: pg hangs the whole client (connection parameters, last statement) on an idle
 * connection's error, and PostgreSQL's `detail` and `where` hold the row's values and the SQL.
 * A database error keeps no stack either: its first line is the driver's message, SQL included.
 */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const { code, constraint, table, column } = error as Error & Record<string, unknown>;
  const fromDatabase = typeof code === 'string' && SQLSTATE.test(code);
  const out: Record<string, unknown> = { type: error.constructor.name, message: fromDatabase ? databaseMessage(error.message) : error.message };
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (fromDatabase) {
    for (const [name, value] of Object.entries({ constraint, table, column })) if (typeof value === 'string') out[name] = value;
  }
  else out.stack = error.stack;
  if (depth < MAX_CAUSES) {
    if (error.cause !== undefined) out.cause = serializeError(error.cause, depth + 1);
    if (error instanceof AggregateError) out.errors = error.errors.slice(0, 5).map((e) => serializeError(e, depth + 1));
  }
  return out;
}

export type LogFormat = 'json' | 'pretty';

/**
 * The server's logger: JSON lines (LOG_FORMAT=json, production's default) or pino-pretty's lines
 * for people. `destination` takes the lines instead of stdout (tests read them).
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.logLevel,
    serializers: { err: serializeError },
    hooks: {
      // pino makes an error's own message the line's message when none is given: that message may
      // be a driver's, with SQL. Every error line gets a message of ours instead.
      logMethod(args, method) {
        if (typeof args[1] !== 'string' && (args[0] instanceof Error || (typeof args[0] === 'object' && args[0] !== null && 'err' in args[0]))) {
          const fields = args[0] instanceof Error ? { err: args[0] } : args[0];
          return method.call(this, fields, 'error');
        }
        return method.apply(this, args);
      },
    },
  };
  if (destination) return pino(options, destination);
  if (config.logFormat === 'pretty') return pino(options, pretty({ colorize: process.stdout.isTTY, sync: true }));
  return pino(options);
}
