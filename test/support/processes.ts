import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';
import { TEST_DATABASE_URL } from './env.js';

/** The project's scripts, spawned as `npm run` would: node + tsx, from the repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The environment a spawned script gets: the test database, and tokens signed as the test server verifies. */
function scriptEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, NODE_ENV: 'test' };
  // The development secret, no issuer or audience: what startTestApp's servers verify.
  for (const name of ['JWT_SECRET', 'JWT_ISSUER', 'JWT_AUDIENCE']) delete base[name];
  const merged = { ...base, ...env };
  // An entry set to undefined removes the variable (DATABASE_URL: undefined runs with none).
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete merged[name];
  return merged;
}

/** `cwd`: another copy of the project (the script's path is taken from there). */
export function spawnScript(script: string, args: string[] = [], env: Record<string, string | undefined> = {}, cwd = ROOT): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd,
    env: scriptEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A script run to its end (killed after `timeoutMs`): its exit code and everything it printed. */
export function runScript(
  script: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
  timeoutMs = 45_000,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawnScript(script, args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The real entry point, as `npm start` runs it (on the test database unless `env` says otherwise),
 * resolved once it prints its ready line. Killed when the test ends, so a failed test leaves no
 * server behind. Call it inside a test.
 */
export async function startServerProcess(env: Record<string, string | undefined> = {}, timeoutMs = 60_000, cwd = ROOT) {
  const child = spawnScript('src/main.ts', [], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env }, cwd);
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in ${timeoutMs} ms: ${stdout}${stderr}`)), timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /ready: (http:\/\/\S+\/graphql)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stdout}${stderr}`));
    });
  });
  return {
    child,
    url,
    wsUrl: url.replace('http:', 'ws:'),
    /** Everything printed so far. */
    output: () => ({ stdout, stderr }),
  };
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * A redis-server of the caller's own on a free port, no persistence: for tests that kill its
 * clients, stop it or otherwise break it, which they must never do to the shared one.
 */
export async function startRedisServer(): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = once(child, 'exit').then(() => false);
    const url = `redis://127.0.0.1:${port}`;
    const up = await Promise.race([exited, pingUntilUp(url, child)]);
    if (up) {
      return {
        url,
        port,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const gone = once(child, 'exit');
          child.kill('SIGTERM');
          await gone;
        },
      };
    }
    // Someone took the port between freePort() and the bind: try another.
    if (attempt === 3) throw new Error(`redis-server did not start: ${output}`);
  }
}

async function pingUntilUp(url: string, child: ChildProcess, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (child.exitCode === null) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {}); // connect() rejects with it
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return true;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on ${url} answered no PING in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      client.disconnect();
    }
  }
  return false;
}
