import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { KdsYoga } from './yoga.js';

/** The contract allows up to 100 KB a request; larger bodies get 413 before any parsing. */
export const MAX_BODY_BYTES = 100 * 1024;

function reply(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function createHttpServer(yoga: KdsYoga, ready: () => Promise<boolean>) {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url?.split('?')[0];
    if (path === '/healthz') return reply(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      ready().then(
        (ok) => reply(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable' }),
        () => reply(res, 503, { status: 'unavailable' }),
      );
      return;
    }
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      req.resume();
      return reply(res, 413, { errors: [{ message: 'Request body is larger than 100 KB' }] });
    }
    void yoga(req, res);
  });
}
