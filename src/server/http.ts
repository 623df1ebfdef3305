import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
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
    // yoga's adapter takes a Buffer only when it has indices to show (Object.keys): for an empty
    // one it would read the socket's stream again, which has ended, and never answer.
    (req as IncomingMessage & { body?: Buffer | Readable }).body = size > 0 ? Buffer.concat(chunks) : Readable.from([]);
    void yoga(req, res);
  });
  req.on('error', () => {
    if (!res.headersSent) reply(res, 400, { errors: [{ message: 'The request body could not be read' }] });
  });
}

/** A caller's own id is kept if it is one a log line can hold as it is. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The request's id: the caller's `x-request-id`, or a new one. It is written into the request's
 * headers, so that whatever sees the request later (yoga's context, the socket's upgrade request)
 * logs the same id, and returned in the response's.
 */
export function assignRequestId(headers: IncomingHttpHeaders): string {
  const sent = headers['x-request-id'];
  if (typeof sent === 'string' && REQUEST_ID.test(sent)) return sent;
  return (headers['x-request-id'] = randomUUID());
}

const OPERATION = Symbol('operation name');

/** What the access line names the request by: yoga's plugin (yoga.ts) calls this once it has parsed it. */
export function noteOperationName(req: object, name: string | undefined): void {
  (req as { [OPERATION]?: string })[OPERATION] = name;
}

/** One line per request once its response is out (or the caller has gone): who asked what, and how it went. */
function logAccess(log: Logger, req: IncomingMessage, res: ServerResponse, path: string | undefined, id: string): void {
  const started = performance.now();
  res.once('close', () =>
    log.info(
      {
        reqId: id,
        method: req.method,
        path,
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
        operation: (req as { [OPERATION]?: string })[OPERATION],
        aborted: res.writableFinished ? undefined : true,
      },
      'request',
    ),
  );
}

/**
 * CORS_ORIGINS: unset, any page may call with a bearer token (`*`), but never with the browser's
 * credentials; set, exactly the listed origins may, credentials included, and others get no CORS
 * headers. Same-origin pages (GraphiQL) need none. Answers a preflight itself: true when it did.
 */
function cors(req: IncomingMessage, res: ServerResponse, allowed: ReadonlySet<string> | undefined): boolean {
  const origin = req.headers.origin;
  if (allowed) res.setHeader('vary', 'Origin');
  if (origin === undefined) return false;
  const permitted = !allowed || allowed.has(origin);
  if (permitted) {
    res.setHeader('access-control-allow-origin', allowed ? origin : '*');
    if (allowed) res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-expose-headers', 'x-request-id');
  }
  if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
  if (permitted) {
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    const headers = req.headers['access-control-request-headers'];
    if (headers) res.setHeader('access-control-allow-headers', headers);
    res.setHeader('access-control-max-age', '600');
  }
  res.writeHead(204, { 'content-length': '0' }).end();
  return true;
}

export function createHttpServer(yoga: KdsYoga, ready: () => Promise<boolean>, log: Logger, corsOrigins?: readonly string[]) {
  const accessLog = log.isLevelEnabled('info');
  const allowedOrigins = corsOrigins ? new Set(corsOrigins) : undefined;
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url?.split('?')[0];
    const id = assignRequestId(req.headers);
    res.setHeader('x-request-id', id);
    if (accessLog) logAccess(log, req, res, path, id);
    if (cors(req, res, allowedOrigins)) return;
    // A browser pointed at the bare address lands in GraphiQL.
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(302, { location: '/graphql' }).end();
      return;
    }
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
