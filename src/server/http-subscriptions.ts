import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import { msUntilExpiry } from '../auth/viewer.js';
import type { GraphQLContext } from '../schema/context.js';

type Result = ExecutionResult;

const isAsyncIterable = (value: unknown): value is AsyncIterable<Result> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/**
 * `source` until `ended` settles: then its value (if any) is the last result, and `source` is
 * returned at once. Hand-written rather than an async generator, whose `return()` would wait for
 * the pending `next()`, that is for the next event, before it took effect.
 */
function until(source: AsyncIterable<Result>, ended: Promise<Result | undefined>, release: () => void): AsyncIterableIterator<Result> {
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  const finish = async (): Promise<IteratorResult<Result>> => {
    if (!done) {
      done = true;
      release();
      await iterator.return?.();
    }
    return { done: true, value: undefined };
  };
  const last = ended.then((value) => ({ last: value }));
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (done) return { done: true, value: undefined };
      const step = await Promise.race([iterator.next(), last]);
      if (!('last' in step)) return step.done ? finish() : step;
      await finish();
      return step.last ? { done: false, value: step.last } : { done: true, value: undefined };
    },
    return: finish,
  };
}

/**
 * Subscriptions over HTTP (server-sent events: GraphiQL's, which carry its Authorization header)
 * keep the WebSocket's rules: when the token expires the stream sends UNAUTHENTICATED "Token
 * expired" and ends, and when the server stops (`closing`) every stream ends, so a drain does
 * not wait for them. The WebSocket path has its own (close codes 4403 and 1001): a context
 * without a `request` is a socket's and is left alone.
 */
export function useHttpSubscriptionLifetime(closing: AbortSignal): Plugin {
  return {
    onSubscribe: ({ args }) => {
      const context = args.contextValue as Partial<YogaInitialContext> & GraphQLContext;
      const viewer = context.viewer;
      if (!context.request || !viewer) return;
      return {
        onSubscribeResult: ({ result, setResult }) => {
          if (!isAsyncIterable(result)) return;
          let timer: NodeJS.Timeout | undefined;
          let onClosing: (() => void) | undefined;
          const ended = new Promise<Result | undefined>((resolve) => {
            const expired = new GraphQLError('Token expired', { extensions: { code: 'UNAUTHENTICATED' } });
            timer = setTimeout(() => resolve({ errors: [expired] }), msUntilExpiry(viewer));
            onClosing = () => resolve(undefined);
            if (closing.aborted) onClosing();
            else closing.addEventListener('abort', onClosing, { once: true });
          });
          setResult(
            until(result, ended, () => {
              clearTimeout(timer);
              closing.removeEventListener('abort', onClosing!);
            }),
          );
        },
      };
    },
  };
}
