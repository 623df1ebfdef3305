import { createApp } from './app.js';
import { ConfigError, loadConfig, withoutPassword } from './config/config.js';
import { EmbeddedPostgresError, explainStartFailure, startEmbeddedPostgres } from './db/embedded-postgres.js';
import { ROLES } from './domain/vocabulary.js';
import { ensureDemoRestaurant } from './services/demo-restaurant.js';

const DEMO_TOKEN_TTL_SECONDS = 12 * 3600;

let config;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}

async function startEmbedded(dataDir: string, port: number) {
  try {
    return await startEmbeddedPostgres(dataDir, port);
  } catch (error) {
    // A person's first `npm start` ends here when it fails: one paragraph, no stack trace.
    console.error(error instanceof EmbeddedPostgresError ? explainStartFailure(error) : String(error));
    process.exit(1);
  }
}

const embedded = config.databaseUrl ? undefined : await startEmbedded(config.dataDir, config.embeddedPgPort);
const app = await createApp({ config, databaseUrl: embedded?.url });

// The embedded default is for trying things out: it gets a demo restaurant and tokens to paste.
const demo = embedded && !config.production ? await ensureDemoRestaurant(app.services.restaurants) : null;
const tokens = demo
  ? ROLES.map((role) => ({
      role,
      token: app.tokens.sign({ sub: `demo-${role.toLowerCase()}`, restaurantId: demo.id, role, name: `Demo ${role}` }, DEMO_TOKEN_TTL_SECONDS),
    }))
  : [];

const { url, port } = await app.start();
app.log.info(
  {
    address: `${config.host}:${port}`,
    database: embedded ? `embedded PostgreSQL, data in ${embedded.databaseDir}` : withoutPassword(config.databaseUrl!),
    pubsub: config.redisUrl ? `Redis ${withoutPassword(config.redisUrl)}` : 'in-process',
    graphiql: url,
  },
  'listening',
);
const lines = [
  '',
  `Kitchen display server ready: ${url} (GraphiQL in a browser, graphql-ws on the same path)`,
  embedded ? `Database: embedded PostgreSQL, data in ${embedded.databaseDir}` : 'Database: DATABASE_URL',
  config.redisUrl ? 'Pub/sub: Redis (REDIS_URL)' : 'Pub/sub: in-process (single instance)',
];
if (demo) {
  lines.push('', `Demo restaurant "${demo.name}" (slug ${demo.slug}); tokens valid for 12 hours.`);
  lines.push('In GraphiQL, open Headers and paste {"Authorization": "Bearer <token>"}:', '');
  for (const { role, token } of tokens) lines.push(`${role.padEnd(8)} ${token}`);
}
console.log(lines.join('\n') + '\n');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  app.log.info({ signal }, 'draining');
  await app.stop();
  await embedded?.stop();
  process.exit(0);
}
// `on`, not `once`: tsx exits the process itself on a signal that has no listener left.
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
