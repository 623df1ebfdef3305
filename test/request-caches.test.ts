import { RequestCache } from '@pothos/plugin-scope-auth';
import { parse } from 'graphql';
import { pino } from 'pino';
import { expect, test } from 'vitest';
import type { TokenService } from '../src/auth/tokens.js';
import type { Viewer } from '../src/auth/viewer.js';
import type { Services } from '../src/schema/context.js';
import { builder } from '../src/schema/builder.js';
import { createKdsYoga } from '../src/server/yoga.js';

// A WeakMap entry keeps its value alive through V8's minor GCs, and scope-auth's cache refers back to
// the context: left in place, every request's objects were promoted to the old generation (bench:
// a major GC every ~3 s in `tenants`). The pipeline drops it once the operation has executed.
test("an operation's scope-auth cache is dropped once it has executed", async () => {
  const yoga = createKdsYoga({
    services: {} as Services,
    tokens: {} as TokenService,
    log: pino({ level: 'silent' }),
    production: true,
    closing: new AbortController().signal,
  });
  const viewer: Viewer = { id: 'screen', name: null, role: 'KITCHEN', restaurantId: 'r', expiresAt: 0 };
  const enveloped = yoga.getEnveloped({ viewer } as never);
  const contextValue = await enveloped.contextFactory();
  const during = RequestCache.fromContext(contextValue, builder);
  expect(RequestCache.fromContext(contextValue, builder)).toBe(during);

  const result = await enveloped.execute({ schema: enveloped.schema, document: parse('{ __typename }'), contextValue });

  expect(result).toEqual({ data: { __typename: 'Query' } });
  expect(RequestCache.fromContext(contextValue, builder)).not.toBe(during);
});
