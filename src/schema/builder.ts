import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { ForbiddenError, UnauthenticatedError } from '../domain/errors.js';
import type { Role } from '../domain/vocabulary.js';
import type { GraphQLContext } from './context.js';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: { DateTime: { Input: Date; Output: Date | string }; ID: { Input: string; Output: string } };
  AuthScopes: { viewer: boolean; role: readonly Role[] };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: async (context) => ({
      viewer: context.viewer !== null,
      role: (roles) => context.viewer !== null && roles.includes(context.viewer.role),
    }),
    unauthorizedError: (_parent, context) => (context.viewer ? new ForbiddenError() : new UnauthenticatedError()),
  },
});

/** The viewer of an authorized field: scope auth has already refused a request without one. */
export function viewerOf(context: GraphQLContext) {
  if (!context.viewer) throw new UnauthenticatedError();
  return context.viewer;
}
