import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DomainError } from '../domain/errors.js';

const toGraphQLError = (error: DomainError, from?: GraphQLError) =>
  new GraphQLError(error.message, {
    nodes: from?.nodes,
    source: from?.source,
    positions: from?.positions,
    path: from?.path,
    extensions: { ...error.extensions, code: error.code },
  });

/** GraphQL's own complaints about a request (parse, validation, variables, armor limits). */
const REQUEST_CODES = new Set([undefined, 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

export function asBadUserInput(error: GraphQLError): GraphQLError {
  if (!REQUEST_CODES.has(error.extensions.code as string | undefined)) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  });
}

/**
 * What a client may see: the services' own errors with their codes, and GraphQL's parse and
 * validation errors. Anything else (a driver error, a bug) becomes INTERNAL_SERVER_ERROR with no
 * message, stack or SQL, and is logged here instead.
 */
export function createErrorMasker(logInternal: (error: unknown) => void) {
  return (error: unknown, message: string): Error => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof DomainError) return toGraphQLError(original, error instanceof GraphQLError ? error : undefined);
    if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) {
      return asBadUserInput(original instanceof GraphQLError ? original : error);
    }
    logInternal(original ?? error);
    return new GraphQLError(message, {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}

/** Validation failures are the client's to fix: the contract names them BAD_USER_INPUT, on HTTP and sockets alike. */
export function useBadUserInputForInvalidDocuments(): Plugin {
  return {
    onValidate: () => ({ valid, result }) => {
      if (valid) return;
      for (const error of result) (error.extensions as Record<string, unknown>).code = 'BAD_USER_INPUT';
    },
  };
}
