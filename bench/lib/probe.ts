/**
 * Loaded into a measured child (the server or the baseline) with `--import`, only by the bench:
 * answers the parent's IPC questions about memory and CPU. Nothing in src/ knows about it, and the
 * IPC channel is unref'd, so it never keeps the child alive or changes how it shuts down.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { memoryUsage } from 'node:process';
import { writeHeapSnapshot } from 'node:v8';

interface ProbeRequest {
  probe: 'sample' | 'heapsnapshot';
  id: number;
  gc?: boolean;
  path?: string;
}

const maybeGc = (globalThis as { gc?: () => void }).gc;

// Since the previous sample: how late the event loop ran a timer, and the GC pauses (what makes tails).
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const noGc = () => ({ count: 0, majorCount: 0, totalMs: 0, maxMs: 0 });
let gc = noGc();
/** The probe's own forced GCs (a sample with `gc`) end here: they are not the traffic's. */
let forcedUntil = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.startTime < forcedUntil) continue;
    gc.count += 1;
    // A major GC marks the whole heap: with 2,000 screens' state that is a stall, where a minor GC is not.
    if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.majorCount += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

if (process.send && process.channel) {
  process.on('message', (message: ProbeRequest) => {
    if (message?.probe === 'heapsnapshot') {
      process.send?.({ id: message.id, path: writeHeapSnapshot(message.path) });
      return;
    }
    if (!message || message.probe !== 'sample') return;
    if (message.gc && maybeGc) {
      maybeGc();
      maybeGc();
      forcedUntil = performance.now();
      // The loop's delay histogram notes the forced GCs' stall at its next timer: start it after that.
      setTimeout(() => loopDelay.reset(), 25);
    }
    const memory = memoryUsage();
    const cpu = process.cpuUsage();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const window = {
      loopDelayP99Ms: ms(loopDelay.percentile(99)),
      loopDelayMaxMs: ms(loopDelay.max),
      gcCount: gc.count,
      majorGcCount: gc.majorCount,
      gcTotalMs: Math.round(gc.totalMs),
      gcMaxMs: Math.round(gc.maxMs * 10) / 10,
    };
    loopDelay.reset();
    gc = noGc();
    process.send?.({
      window,
      probe: 'sample',
      id: message.id,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
      cpuUser: cpu.user,
      cpuSystem: cpu.system,
    });
  });
  // Adding a 'message' listener refs the channel on the next tick: unref it after that.
  setImmediate(() => process.channel?.unref());
}
