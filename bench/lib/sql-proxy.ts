/**
 * A PostgreSQL wire-protocol relay that counts statements, run as its own process so it takes no
 * time from the load generator. pg_stat_statements needs shared_preload_libraries (a server
 * restart), so instead every statement a measured process sends is seen here: a simple Query
 * ('Q') counts once, an extended-protocol Execute ('E') counts once under the text of the
 * statement it executes. Bytes are forwarded untouched. Only 127.0.0.1.
 *
 * env: SQL_PROXY_UPSTREAM (host:port, default 127.0.0.1:5432). Prints "ready: tcp://127.0.0.1:PORT".
 * IPC: {sql: 'stats', id} answers {id, total, byKey}.
 */
import { createConnection, createServer, type Socket } from 'node:net';

const [upstreamHost, upstreamPort] = (process.env.SQL_PROXY_UPSTREAM ?? '127.0.0.1:5432').split(':');
if (upstreamHost !== '127.0.0.1' && upstreamHost !== 'localhost') throw new Error('the SQL counter only relays to 127.0.0.1');

let total = 0;
const byKey = new Map<string, number>();

/** "select restaurants", "insert kitchen_events", "begin": the verb and the first table named. */
function keyOf(text: string): string {
  const sql = text.trim().toLowerCase();
  const verb = /^\w+/.exec(sql)?.[0] ?? '?';
  const table = /\b(?:from|into|update)\s+"?([a-z_][a-z0-9_]*)"?/.exec(sql)?.[1];
  return table ? `${verb} ${table}` : verb;
}

function count(text: string): void {
  total += 1;
  const key = keyOf(text);
  byKey.set(key, (byKey.get(key) ?? 0) + 1);
}

const cstring = (buffer: Buffer, from: number): [string, number] => {
  const end = buffer.indexOf(0, from);
  return [buffer.toString('utf8', from, end), end + 1];
};

/** Follows one client's frontend messages. */
function frontendParser() {
  let pending: Buffer = Buffer.alloc(0);
  let startup = true;
  const statements = new Map<string, string>();
  const portals = new Map<string, string>();
  return (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      if (startup) {
        if (pending.length < 8) return;
        const length = pending.readInt32BE(0);
        if (pending.length < length) return;
        const code = pending.readInt32BE(4);
        // SSLRequest / GSSENCRequest are followed by another untyped startup message.
        if (code !== 80877103 && code !== 80877104) startup = false;
        pending = pending.subarray(length);
        continue;
      }
      if (pending.length < 5) return;
      const type = String.fromCharCode(pending[0]!);
      const length = pending.readInt32BE(1);
      if (pending.length < 1 + length) return;
      const body = pending.subarray(5, 1 + length);
      if (type === 'Q') {
        count(cstring(body, 0)[0]);
      } else if (type === 'P') {
        const [name, next] = cstring(body, 0);
        statements.set(name, cstring(body, next)[0]);
      } else if (type === 'B') {
        const [portal, next] = cstring(body, 0);
        portals.set(portal, statements.get(cstring(body, next)[0]) ?? '?');
      } else if (type === 'E') {
        count(portals.get(cstring(body, 0)[0]) ?? '?');
      }
      pending = pending.subarray(1 + length);
    }
  };
}

const server = createServer((client: Socket) => {
  const upstream = createConnection({ host: upstreamHost, port: Number(upstreamPort ?? 5432) });
  const parse = frontendParser();
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.on('data', (chunk: Buffer) => {
    upstream.write(chunk);
    parse(chunk);
  });
  upstream.pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`ready: tcp://127.0.0.1:${address.port}`);
});

process.on('message', (message: { sql?: string; id: number }) => {
  if (message?.sql === 'stats') process.send?.({ id: message.id, total, byKey: Object.fromEntries(byKey) });
});
process.once('SIGTERM', () => process.exit(0));
