/**
 * Loaded into a measured child (the server or the baseline) with `--import`, only by the bench:
 * answers the parent's IPC questions about memory and CPU. Nothing in src/ knows about it, and the
 * IPC channel is unref'd, so it never keeps the child alive or changes how it shuts down.
 */
import { memoryUsage } from 'node:process';
import { writeHeapSnapshot } from 'node:v8';

interface ProbeRequest {
  probe: 'sample' | 'heapsnapshot';
  id: number;
  gc?: boolean;
  path?: string;
}

const maybeGc = (globalThis as { gc?: () => void }).gc;

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
    }
    const memory = memoryUsage();
    const cpu = process.cpuUsage();
    process.send?.({
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
