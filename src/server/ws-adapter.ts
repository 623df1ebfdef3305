import type { ExecutionResult } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';
import { Heartbeat } from './heartbeat.js';
import { assignRequestId } from './http.js';

/**
 * The upgrade request as the socket's operations see it: its method, URL and headers. Not the
 * IncomingMessage itself, which would stay alive (with its streams and raw headers) as long as
 * the socket does.
 */
export interface UpgradeRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
}

/** What graphql-ws's `extra` is on this transport (as with graphql-ws/use/ws, but a slim request). */
export interface WsExtra {
  socket: WebSocket;
  request: UpgradeRequest;
  /** The upgrade request's id (http.ts's assignRequestId), for the socket's log lines. */
  requestId: string;
  /** performance.now() at the upgrade. */
  openedAt: number;
  /**
   * Writes the `next` frame of subscription `id` for a result without errors at once (the same
   * bytes graphql-ws would write); false when the socket is not open or holds more than
   * MAX_BUFFERED unsent bytes, or the result carries errors: those go graphql-ws's way.
   */
  writeResult(id: string, result: ExecutionResult): boolean;
}

/** Screens send the same few documents: one copy of each text, not one per subscription. */
const MAX_INTERNED_QUERIES = 1000;
const MAX_INTERNED_LENGTH = 16 * 1024;
const queries = new Map<string, string>();

/**
 * Parses a client message here rather than in graphql-ws (which takes a parsed message too), so
 * that neither the raw text nor a private copy of the query stays referenced by the subscription
 * for its whole life. Text that is not JSON goes on as it is, for graphql-ws to refuse.
 */
function parseClientMessage(text: string): unknown {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof message !== 'object' || message === null) return message;
  const { type, payload } = message as { type?: unknown; payload?: { query?: unknown } | null };
  if (type === 'subscribe' && typeof payload === 'object' && payload !== null && typeof payload.query === 'string') {
    const known = queries.get(payload.query);
    if (known !== undefined) payload.query = known;
    else if (queries.size < MAX_INTERNED_QUERIES && payload.query.length <= MAX_INTERNED_LENGTH) queries.set(payload.query, payload.query);
  }
  return message;
}

/** As graphql-ws's own ws adapter: a ping every 12 s, and a socket that missed its pong is dropped. */
const KEEP_ALIVE_MS = 12_000;
/** A screen with this much unsent is left to graphql-ws's paced sending (and its queue's limit). */
const MAX_BUFFERED = 1024 * 1024;
/** What `onNext` answers in place of a result whose frame is already rendered: stringifies to `{}`. */
const RENDERED = Object.freeze({});

/** Where a result keeps its rendered JSON and frames: a symbol, so JSON.stringify skips it. */
const RENDERINGS = Symbol('renderings');

type Rendered = ExecutionResult & { [RENDERINGS]?: { json: string; byId: Map<string, Buffer> } };

/**
 * A result many subscribers receive (the same object: see shared-subscriptions.ts) is turned
 * into JSON once, and into frame bytes once per subscription id; every socket of the group is
 * then written the same bytes. The renderings hang off the result itself rather than a WeakMap
 * keyed by it: V8's minor GC keeps a WeakMap's values alive while their entry exists, which
 * promoted every event's JSON and frames to the old generation.
 */
function frameOf(result: Rendered, id: string): Buffer {
  const renderings = (result[RENDERINGS] ??= { json: JSON.stringify(result), byId: new Map() });
  let bytes = renderings.byId.get(id);
  if (!bytes) {
    // Exactly what graphql-ws would write: {"id":...,"type":"next","payload":<result>}.
    bytes = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":${renderings.json}}`);
    renderings.byId.set(id, bytes);
  }
  return bytes;
}

/** The message graphql-ws writes for a `next` whose payload is RENDERED. */
const placeholderMessage = (id: string) => JSON.stringify({ id, type: 'next', payload: RENDERED });

/**
 * graphql-ws's protocol core on a `ws` server: what graphql-ws/use/ws does (sub-protocol check,
 * keep-alive pings, here spread over the interval: heartbeat.ts; closing on internal errors), plus
 * one thing: a `next` whose result carries no errors is written from the shared frame bytes
 * instead of being stringified per subscriber.
 */
export function serveGraphQLWs<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, WsExtra>,
  wss: WebSocketServer,
  log: Logger,
): void {
  /** Per socket: the frame to write for the placeholder message of a subscription id. */
  const pending = new WeakMap<WebSocket, Map<string, Buffer>>();
  const isProd = process.env.NODE_ENV === 'production';
  const reasonOf = (error: unknown) =>
    isProd ? 'Internal server error' : limit(error instanceof Error ? error.message : String(error));

  const server = makeServer<P, WsExtra>({
    ...options,
    onNext: async (ctx, id, payload, args, result) => {
      const replaced = await options.onNext?.(ctx, id, payload, args, result);
      if (replaced || (result as ExecutionResult).errors) return replaced;
      const socket = ctx.extra.socket;
      let queued = pending.get(socket);
      if (!queued) pending.set(socket, (queued = new Map()));
      queued.set(placeholderMessage(id), frameOf(result as ExecutionResult, id));
      return RENDERED;
    },
  });
  wss.options.handleProtocols = handleProtocols;
  const heartbeat = new Heartbeat(KEEP_ALIVE_MS);
  wss.once('close', () => heartbeat.close());

  wss.once('error', (error) => {
    log.error({ err: error }, 'internal error on the WebSocket server');
    for (const client of wss.clients) client.close(CloseCode.InternalServerError, reasonOf(error));
  });

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const openedAt = performance.now();
    const requestId = assignRequestId(request.headers);
    socket.once('error', (error) => {
      log.error({ err: error }, 'internal error on a WebSocket');
      socket.close(CloseCode.InternalServerError, reasonOf(error));
    });

    heartbeat.add(socket);

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            const done = (error?: Error) => (error ? reject(error) : resolve());
            const queued = pending.get(socket);
            const frame = queued?.get(data);
            if (frame) {
              queued!.delete(data);
              // A text frame: the bytes are the UTF-8 of the JSON message.
              socket.send(frame, { binary: false }, done);
            } else {
              socket.send(data, done);
            }
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', async (event) => {
            try {
              await cb(parseClientMessage(String(event)) as string);
            } catch (error) {
              log.error({ err: error }, 'internal error while handling a WebSocket message');
              socket.close(CloseCode.InternalServerError, reasonOf(error));
            }
          }),
      },
      {
        socket,
        request: { method: request.method, url: request.url, headers: request.headers },
        requestId,
        openedAt,
        writeResult: (id, result) => {
          if (result.errors || socket.readyState !== socket.OPEN || socket.bufferedAmount > MAX_BUFFERED) return false;
          socket.send(frameOf(result, id), { binary: false });
          return true;
        },
      },
    );

    socket.once('close', (code, reason) => {
      void closed(code, String(reason));
    });
  });
}

/** Close reasons are at most 123 bytes. */
function limit(reason: string): string {
  return Buffer.byteLength(reason) <= 123 ? reason : 'Internal server error';
}
