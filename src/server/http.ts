import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { KdsYoga } from './yoga.js';

/** The contract allows up to 100 KB a request; larger bodies get 413 before any parsing. */
export const MAX_BODY_BYTES = 100 * 1024;

function reply(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * Reads the body here, counting its bytes (a chunked body announces no length), refuses it once it
 * passes the limit, and hands yoga the bytes read: yoga takes a Buffer `body` as it is, where it
 * would otherwise wrap the socket in web streams (and a size-limiting transform) for every request.
 */
function readBody(req: IncomingMessage, res: ServerResponse, yoga: KdsYoga): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      refused = true;
      chunks.length = 0;
      res.setHeader('connection', 'close');
      reply(res, 413, { errors: [{ message: 'Request body is larger than 100 KB' }] });
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (refused) return;
    (req as IncomingMessage & { body?: Buffer }).body = Buffer.concat(chunks);
    void yoga(req, res);
  });
  req.on('error', () => {
    if (!res.headersSent) reply(res, 400, { errors: [{ message: 'The request body could not be read' }] });
  });
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
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
      return readBody(req, res, yoga);
    }
    void yoga(req, res);
  });
}
