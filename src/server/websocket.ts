import { GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { CloseCode } from 'graphql-ws';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerToken, type TokenService } from '../auth/tokens.js';
import { msUntilExpiry, type Viewer } from '../auth/viewer.js';
import { asBadUserInput } from './errors.js';
import { serveGraphQLWs } from './ws-adapter.js';
import type { KdsYoga } from './yoga.js';

/** Close codes the contract promises kitchen screens. */
export const CLOSE = { forbidden: CloseCode.Forbidden, initTimeout: CloseCode.ConnectionInitialisationTimeout, goingAway: 1001 };

interface SocketExtra {
  viewer?: Viewer;
  expiry?: NodeJS.Timeout;
}

type Enveloped = ReturnType<KdsYoga['getEnveloped']>;

/**
 * graphql-ws on the HTTP server's port and path. Every operation runs through yoga's envelop
 * pipeline (the same schema, context, error masking and armor limits as HTTP); the viewer is
 * verified once, at connection_init, and the socket closes when its token expires. An event
 * that a group of identical subscriptions shares is written as the same bytes to all of them
 * (ws-adapter.ts).
 */
export function attachGraphQLWebSocket(server: Server, yoga: KdsYoga, tokens: TokenService, log: Logger) {
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const extras = new WeakMap<WebSocket, SocketExtra>();

  serveGraphQLWs<Record<string, unknown> | undefined>(
    {
      connectionInitWaitTimeout: 3_000,
      execute: (args) => (args.rootValue as Enveloped).execute(args as ExecutionArgs),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args as ExecutionArgs),
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        // As a header's name, the key's case does not matter (`Authorization` as pasted from HTTP).
        const header = Object.entries(params).find(([key]) => key.toLowerCase() === 'authorization')?.[1];
        const token = typeof header === 'string' ? bearerToken(header) : null;
        if (!token) return false;
        let viewer: Viewer;
        try {
          viewer = await tokens.verify(token);
        } catch {
          return false;
        }
        const socket = ctx.extra.socket;
        const expiry = setTimeout(() => socket.close(CLOSE.forbidden, 'Token expired'), msUntilExpiry(viewer));
        extras.set(socket, { viewer, expiry });
        log.info({ reqId: ctx.extra.requestId, restaurantId: viewer.restaurantId, sub: viewer.id }, 'socket open');
        return true;
      },
      onClose: (ctx, code) => {
        const extra = extras.get(ctx.extra.socket);
        clearTimeout(extra?.expiry);
        log.info(
          {
            reqId: ctx.extra.requestId,
            code,
            ms: Math.round(performance.now() - ctx.extra.openedAt),
            restaurantId: extra?.viewer?.restaurantId,
            sub: extra?.viewer?.id,
          },
          'socket closed',
        );
      },
      onSubscribe: async (ctx, id, payload) => {
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          viewer: extras.get(ctx.extra.socket)?.viewer,
          writeDirectly: (result: ExecutionResult) => ctx.extra.writeResult(id, result),
        });
        // Parse and validation (armor's limits among them) may throw: that is the client's error, not ours.
        let document: ReturnType<Enveloped['parse']>;
        let errors: readonly GraphQLError[];
        try {
          document = enveloped.parse(payload.query);
          errors = enveloped.validate(enveloped.schema, document);
        } catch (error) {
          if (error instanceof GraphQLError) return [asBadUserInput(error)];
          throw error;
        }
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: enveloped,
        };
      },
    },
    wss,
    log,
  );

  return {
    wss,
    /** Tells every screen to reconnect elsewhere, then stops taking sockets. */
    close(): Promise<void> {
      for (const client of wss.clients) client.close(CLOSE.goingAway, 'Server shutting down');
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}
