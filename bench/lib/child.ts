import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROBE = fileURLToPath(new URL('./probe.ts', import.meta.url));
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS = 100;

export interface ProcSample {
  /** From /proc/<pid>/status. */
  rssBytes: number;
  /** utime + stime from /proc/<pid>/stat, seconds. */
  cpuSeconds: number;
  /** From the probe inside the child (process.memoryUsage), after a forced GC when asked. */
  heapUsedBytes: number | null;
  /** From the probe: the event loop's delay and the GC pauses since the previous sample. */
  window: ProbeWindow | null;
  at: number;
}

export interface ProbeWindow {
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gcCount: number;
  /** Of which mark-compacts. */
  majorGcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
}

export interface ChildOptions {
  name: string;
  /** The module to run, relative to the repository root. */
  entry: string;
  env: Record<string, string>;
  /** A line on stdout that means ready; group 1 is the URL. */
  ready: RegExp;
  cpuProfDir?: string;
  readyTimeoutMs?: number;
  /** Load the memory/CPU probe (default true). */
  probe?: boolean;
  /** Where `entry` is resolved and the child runs (default: this repository). */
  cwd?: string;
}

/** Every child still running, so that an interrupted bench leaves nothing behind. */
const running = new Set<ChildProcess>();

/** For the command line's SIGINT/SIGTERM handler. */
export function killRunningChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** A measured child process (the server, the baseline, the SQL counter): started, sampled, stopped. */
export class MeasuredChild {
  private output: string[] = [];
  private pending = new Map<number, (value: Record<string, unknown>) => void>();
  private nextId = 1;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) => process.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(options: ChildOptions): Promise<MeasuredChild> {
    const args = ['--import', 'tsx'];
    if (options.probe !== false) args.push('--import', PROBE, '--expose-gc');
    if (options.cpuProfDir) args.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfDir);
    // For experiments on both children alike, e.g. BENCH_NODE_FLAGS="--trace-gc" BENCH_CHILD_LOG=/tmp/run.
    if (process.env.BENCH_NODE_FLAGS) args.push(...process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean));
    args.push(options.entry);
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const lines: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.name} was not ready in time:\n${lines.slice(-30).join('\n')}`)),
        options.readyTimeoutMs ?? 60_000,
      );
      let buffered = '';
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        for (const line of parts) {
          lines.push(line);
          if (lines.length > 200) lines.shift();
          const match = options.ready.exec(line);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        }
      };
      child.stdout!.on('data', onData);
      // Everything the child prints, whole (its last lines are kept for error reports anyway).
      if (process.env.BENCH_CHILD_LOG) child.stdout!.pipe(createWriteStream(`${process.env.BENCH_CHILD_LOG}.${options.name}.log`));
      child.stderr!.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(line);
        if (lines.length > 200) lines.splice(0, lines.length - 200);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited (${code ?? signal}) before it was ready:\n${lines.slice(-30).join('\n')}`));
      });
    });
    const measured = new MeasuredChild(options.name, child, url);
    measured.output = lines;
    child.on('message', (message: { id?: number }) => {
      if (typeof message?.id !== 'number') return;
      measured.pending.get(message.id)?.(message);
      measured.pending.delete(message.id);
    });
    return measured;
  }

  get pid(): number {
    return this.process.pid!;
  }

  /** The last lines the child wrote (for error reports). */
  tail(lines = 30): string {
    return this.output.slice(-lines).join('\n');
  }

  /** One IPC question to the child; null when it does not answer within 10 s. */
  ask<T>(message: Record<string, unknown>, timeoutMs = 10_000): Promise<T | null> {
    if (!this.process.connected) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise<T | null>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, timeoutMs);
      this.pending.set(id, (value) => {
        clearTimeout(timer);
        resolve(value as T);
      });
      this.process.send({ ...message, id });
    });
  }

  /** RSS and CPU from /proc; the heap from the probe, after two forced GCs when `gc`. */
  async sample(gc = false): Promise<ProcSample> {
    const answer = await this.ask<{ heapUsed: number; window: ProbeWindow }>({ probe: 'sample', gc });
    return { ...procSample(this.pid), heapUsedBytes: answer?.heapUsed ?? null, window: answer?.window ?? null, at: performance.now() };
  }

  /** SIGTERM (the server drains), then SIGKILL if it takes too long. */
  async stop(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return this.exited;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

export function procSample(pid: number): { rssBytes: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14, stime 15 (1-based, so offsets 11 and 12 here).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssBytes: rssKb * 1024, cpuSeconds: ticks / CLOCK_TICKS };
}
