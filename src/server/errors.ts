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

/**
 * GraphQL's own complaints about a request (parse, validation, variables, armor limits), and
 * yoga's about its HTTP form (BAD_REQUEST: a body that is not JSON or not an object, a batch, a
 * mutation over GET), which the contract does not name.
 */
const REQUEST_CODES = new Set([undefined, 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST']);

/**
 * yoga puts the JSON parser's own message in `originalError`: for a developer's eyes only. It also
 * answers a body it could not parse with 400 only while `originalError` is there (to a client that
 * accepts application/json it would answer 200): without it, the 400 must stand on its own.
 */
function withoutOriginalError(extensions: GraphQLError['extensions']): GraphQLError['extensions'] {
  const { originalError, ...rest } = extensions;
  if (!originalError) return extensions;
  const { spec, ...http } = (rest.http ?? {}) as Record<string, unknown>;
  return { ...rest, http };
}

export function asBadUserInput(error: GraphQLError, development = false): GraphQLError {
  if (!REQUEST_CODES.has(error.extensions.code as string | undefined)) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...(development ? error.extensions : withoutOriginalError(error.extensions)), code: 'BAD_USER_INPUT' },
  });
}

/**
 * What a client may see: the services' own errors with their codes, and GraphQL's parse and
 * validation errors. Anything else (a driver error, a bug) becomes INTERNAL_SERVER_ERROR with no
 * message, stack or SQL, and is logged here instead.
 */
export function createErrorMasker(logInternal: (error: unknown) => void) {
  return (error: unknown, message: string, development?: boolean): Error => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof DomainError) return toGraphQLError(original, error instanceof GraphQLError ? error : undefined);
    if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) {
      return asBadUserInput(original instanceof GraphQLError ? original : error, development);
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

/**
 * yoga's GET and form parsers JSON.parse the `variables` and `extensions` parameters as sent: a
 * client's malformed JSON would come out as a SyntaxError, masked as INTERNAL_SERVER_ERROR and
 * logged as ours. It is the client's 400, told without the parser's words.
 */
export function useBadUserInputForMalformedParameters(): Plugin {
  const refuse = (error: unknown): never => {
    if (!(error instanceof SyntaxError)) throw error;
    throw new GraphQLError('The variables or extensions parameter is not valid JSON', {
      extensions: { http: { status: 400 }, code: 'BAD_USER_INPUT' },
    });
  };
  return {
    onRequestParse: ({ requestParser, setRequestParser }) => {
      if (!requestParser) return;
      setRequestParser((request) => {
        try {
          const parsed = requestParser(request);
          // A thenable of yoga's own (the form parser's), not always a Promise: its own `then`.
          return 'then' in parsed ? parsed.then(undefined, refuse) : parsed;
        } catch (error) {
          return refuse(error);
        }
      });
    },
  };
}
