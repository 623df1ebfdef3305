import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { RequestCache } from '@pothos/plugin-scope-auth';
import DataLoader from 'dataloader';
import { execute, getOperationAST, GraphQLError, type DocumentNode, type ExecutionResult } from 'graphql';
import { createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import { bearerToken, InvalidTokenError, type TokenService } from '../auth/tokens.js';
import type { Viewer } from '../auth/viewer.js';
import { UnauthenticatedError } from '../domain/errors.js';
import type { GraphQLContext, Services } from '../schema/context.js';
import { schema } from '../schema/index.js';
import { createErrorMasker, useBadUserInputForInvalidDocuments, useBadUserInputForMalformedParameters } from './errors.js';
import { useHttpSubscriptionLifetime } from './http-subscriptions.js';
import { noteOperationName } from './http.js';
import { SubscriptionGroups } from './shared-subscriptions.js';

/** What the transports put into the initial context: the socket adapter brings its verified viewer. */
export interface ServerContext {
  viewer?: Viewer;
  /**
   * The socket adapter's writer for this subscription: writes a result's frame at once, or answers
   * false (the socket is not open or is backed up, or the result carries errors, which go the
   * engine's way to be masked).
   */
  writeDirectly?: (result: ExecutionResult) => boolean;
}

export interface YogaOptions {
  services: Services;
  tokens: TokenService;
  log: Logger;
  production: boolean;
  /** Aborted when the server stops: subscriptions over HTTP end then. */
  closing: AbortSignal;
}

/**
 * Queries and mutations run on graphql-js's own `execute` instead of yoga's default executor,
 * which wraps every field's result in its promise helpers (~5% of the server's CPU per mutation in
 * the benchmark's `max`) to support @defer, @stream and cancelling a running request:
 * none of which this schema offers (a mutation is one SQL statement, and a POS that hangs up
 * does not unmake its order).
 */
const useGraphQLJsExecute: Plugin = { onExecute: ({ setExecuteFn }) => setExecuteFn(execute) };

/**
 * Pothos' scope-auth keeps an operation's auth cache in a module-wide WeakMap keyed by the context,
 * and the cache refers back to the context. V8's minor GC keeps a WeakMap's values alive for as
 * long as their entry exists, so every request's whole object graph (context, request, response)
 * outlived two minor GCs and was promoted: ~6 MB/s in the benchmark's `tenants`, a major GC every
 * ~3 s, and each of them a delivery stall. Dropping the entry once the operation has executed lets
 * it all die young. (A subscription's context lives as long as the subscription: left alone.)
 */
const useAuthCacheReleasedAfterExecute: Plugin = {
  onExecute: ({ args }) => ({ onExecuteDone: () => RequestCache.clearForContext(args.contextValue) }),
};

/** The node request under an operation's context: http.ts's, or a socket's upgrade request. */
type WithRequest = { req?: { headers: Record<string, string | string[] | undefined> } };

/**
 * Names the operation for the access line (http.ts) and remembers which request an error of a
 * result came from: the error masker, which logs internal errors, is handed the error alone.
 */
function useRequestLogging(requestOfError: WeakMap<object, string>): Plugin {
  const note = (args: { contextValue: unknown; document: DocumentNode; operationName?: string | null }) => {
    const req = (args.contextValue as WithRequest).req;
    if (req) noteOperationName(req, args.operationName ?? getOperationAST(args.document)?.name?.value);
    return req?.headers['x-request-id'] as string | undefined;
  };
  const remember = (id: string | undefined, result: unknown) => {
    const errors = (result as ExecutionResult).errors;
    if (id && errors) for (const error of errors) requestOfError.set(error.originalError ?? error, id);
  };
  return {
    onExecute: ({ args }) => {
      const id = note(args);
      return { onExecuteDone: ({ result }) => remember(id, result) };
    },
    onSubscribe: ({ args }) => {
      const id = note(args);
      return { onSubscribeResult: ({ result }) => remember(id, result) };
    },
  };
}

export const LIMITS = { depth: 12, aliases: 30, tokens: 5000 } as const;

/**
 * GraphiQL from @graphql-yoga/render-graphiql, which inlines its scripts, styles and workers (no
 * CDN: it works offline and matches the installed yoga). Its options are the same on every
 * request, so the ~9 MB page is rendered once.
 */
function renderGraphiQLOnce(): (options: Parameters<typeof renderGraphiQL>[0]) => string {
  let page: string | undefined;
  return (options) => (page ??= renderGraphiQL(options));
}

export function createKdsYoga({ services, tokens, log, production, closing }: YogaOptions) {
  async function viewerOf(context: YogaInitialContext & ServerContext): Promise<Viewer | null> {
    if (context.viewer) return context.viewer;
    const token = bearerToken(context.request?.headers.get('authorization'));
    if (!token) return null;
    try {
      return await tokens.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthenticatedError(error.message);
      throw error;
    }
  }

  // Identical subscriptions execute each event once (shared-subscriptions.ts).
  const subscriptionGroups = new SubscriptionGroups();
  const requestOfError = new WeakMap<object, string>();

  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // http.ts answers CORS, for every path, as CORS_ORIGINS says.
    cors: false,
    // http.ts reads every body and refuses those over 100 KB before yoga sees them.
    maxRequestBodySize: false,
    logging: {
      debug: log.debug.bind(log),
      info: log.info.bind(log),
      warn: log.warn.bind(log),
      // Every GraphQL error of a result passes here: the masker has logged the internal ones, with
      // their cause, and the others are the client's.
      error: (...args: Parameters<Logger['error']>) => (args[0] instanceof GraphQLError ? undefined : log.error(...args)),
    },
    // GraphiQL's WebSocket sends an empty connection_init (its Headers tab does not reach it) and
    // would be refused with 4403; server-sent events carry the headers, through the same pipeline.
    graphiql: {
      title: 'Kitchen display server',
      subscriptionsProtocol: 'SSE',
    },
    renderGraphiQL: renderGraphiQLOnce(),
    maskedErrors: {
      maskError: createErrorMasker((error) =>
        log.error({ err: error, reqId: typeof error === 'object' && error ? requestOfError.get(error) : undefined }, 'internal error'),
      ),
      isDev: !production,
    },
    plugins: [
      useRequestLogging(requestOfError),
      useGraphQLJsExecute,
      useAuthCacheReleasedAfterExecute,
      subscriptionGroups.plugin(),
      useHttpSubscriptionLifetime(closing),
      useBadUserInputForInvalidDocuments(),
      useBadUserInputForMalformedParameters(),
      EnvelopArmorPlugin({
        maxDepth: { n: LIMITS.depth },
        maxAliases: { n: LIMITS.aliases },
        maxTokens: { n: LIMITS.tokens },
        costLimit: { enabled: false },
        blockFieldSuggestion: { enabled: production },
      }),
    ],
    context: async (initial) => {
      const viewer = await viewerOf(initial);
      return {
        viewer,
        services,
        stations: new DataLoader(async (ids: readonly string[]) => {
          if (!viewer) return ids.map(() => null);
          return Promise.all(ids.map((id) => services.restaurants.station(viewer.restaurantId, id)));
        }),
      };
    },
  });
}

export type KdsYoga = ReturnType<typeof createKdsYoga>;
