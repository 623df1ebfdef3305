import { z } from 'zod';

/** The development secret: fine on a laptop, refused in production. */
export const DEVELOPMENT_JWT_SECRET = 'kds-development-secret-do-not-use-in-production';

const envSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  JWT_SECRET: z.string().min(1).optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  EVENT_RETENTION_HOURS: z.coerce.number().positive().default(24),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  CORS_ORIGINS: z.string().optional(),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  DATA_DIR: z.string().default('.data'),
});

/** Every environment variable the server reads (the README's Configuration table lists each). */
export const ENVIRONMENT_VARIABLES = Object.keys(envSchema.shape);

export interface Config {
  production: boolean;
  port: number;
  host: string;
  /** Unset: start an embedded PostgreSQL under `dataDir`. */
  databaseUrl?: string;
  /** Unset: in-process pub/sub (a single instance). */
  redisUrl?: string;
  jwt: { secret: string; issuer?: string; audience?: string };
  eventRetentionHours: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** JSON lines in production, pino-pretty's for people elsewhere, unless LOG_FORMAT says. */
  logFormat: 'json' | 'pretty';
  /** Unset: no origin gets credentialed cross-origin access. */
  corsOrigins?: string[];
  embeddedPgPort: number;
  dataDir: string;
}

export class ConfigError extends Error {}

/** `https://pos.example.com,http://localhost:5173`: each entry an origin exactly as browsers send it. */
function parseOrigins(list: string): string[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      let origin: string | undefined;
      try {
        origin = new URL(entry).origin;
      } catch {
        origin = undefined;
      }
      if (origin !== entry || origin === 'null') {
        throw new ConfigError(`Invalid configuration: CORS_ORIGINS: "${entry}" is not an origin (scheme://host[:port], no path)`);
      }
      return origin;
    });
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && (!e.JWT_SECRET || e.JWT_SECRET === DEVELOPMENT_JWT_SECRET)) {
    throw new ConfigError('JWT_SECRET must be set to a secret of your own when NODE_ENV=production');
  }
  return {
    production,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    jwt: { secret: e.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    eventRetentionHours: e.EVENT_RETENTION_HOURS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (production ? 'json' : 'pretty'),
    corsOrigins: e.CORS_ORIGINS === undefined ? undefined : parseOrigins(e.CORS_ORIGINS),
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    dataDir: e.DATA_DIR,
  };
}

/** A connection URL as logs may show it: no password, in the userinfo or in the query. */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  parsed.searchParams.delete('password');
  return parsed.toString();
}
