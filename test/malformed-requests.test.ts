import { serverAudits } from 'graphql-http';
import { describe, expect, test } from 'vitest';
import { eventCount } from './support/db.js';
import { kitchen, place, useTestApp, type TestApp } from './support/harness.js';

const development = useTestApp();
const production = useTestApp({ env: { NODE_ENV: 'production', JWT_SECRET: 'a-production-test-secret' } });
const MODES: [string, TestApp][] = [
  ['development', development],
  ['production', production],
];

/** A request that does not answer in this time hangs: it fails here rather than at the test's timeout. */
const ANSWER_MS = 5000;

interface Answer {
  status: number;
  text: string;
  body?: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(ANSWER_MS) });
  const text = await response.text();
  let body: Answer['body'];
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    // not JSON: left out
  }
  return { status: response.status, text, body };
}

const json = { 'content-type': 'application/json' };
const post = (body: BodyInit, headers: Record<string, string> = json): RequestInit => ({ method: 'POST', headers, body });
/** A body sent chunked (no content-length) that turns out to be empty. */
const emptyStream = (): RequestInit =>
  ({ method: 'POST', headers: json, body: new ReadableStream({ start: (controller) => controller.close() }), duplex: 'half' }) as RequestInit;
const get = (params: Record<string, string>) => `?${new URLSearchParams(params)}`;

interface Malformed {
  what: string;
  request: () => RequestInit;
  /** Appended to the endpoint's URL. */
  search?: string;
  status: number;
  /** The one error's message; absent: the answer has no body (415). */
  message?: string;
}

const MALFORMED: Malformed[] = [
  { what: 'malformed JSON', request: () => post('{"query": '), status: 400, message: 'POST body sent invalid JSON.' },
  { what: 'a JSON string', request: () => post('"{ __typename }"'), status: 400, message: 'POST body is expected to be object but received string' },
  { what: 'a JSON number', request: () => post('42'), status: 400, message: 'POST body is expected to be object but received number' },
  { what: 'JSON null', request: () => post('null'), status: 400, message: 'POST body is expected to be object but received null' },
  { what: 'an array (no batching)', request: () => post('[{"query":"{ __typename }"}]'), status: 400, message: 'Batching is not supported.' },
  { what: 'an empty body (content-length: 0)', request: () => post(''), status: 400, message: 'POST body sent invalid JSON.' },
  { what: 'an empty chunked body', request: emptyStream, status: 400, message: 'POST body sent invalid JSON.' },
  { what: 'a query that is not a string', request: () => post('{"query": 42}'), status: 400, message: 'Expected "query" param to be a string, but given number.' },
  { what: 'variables that are not an object', request: () => post('{"query": "{ __typename }", "variables": "x"}'), status: 400, message: 'Expected "variables" param to be empty or an object, but given string.' },
  { what: 'Content-Type text/plain', request: () => post('{"query":"{ __typename }"}', { 'content-type': 'text/plain' }), status: 415 },
  { what: 'Content-Type application/xml', request: () => post('<query/>', { 'content-type': 'application/xml' }), status: 415 },
  { what: 'no Content-Type', request: () => post(new TextEncoder().encode('{"query":"{ __typename }"}'), {}), status: 415 },
  {
    what: 'malformed variables in a GET',
    request: () => ({ method: 'GET' }),
    search: get({ query: '{ __typename }', variables: '{"a": ' }),
    status: 400,
    message: 'The variables or extensions parameter is not valid JSON',
  },
  {
    what: 'malformed extensions in a form POST',
    request: () => post('query=%7B__typename%7D&extensions=%7Bx', { 'content-type': 'application/x-www-form-urlencoded' }),
    status: 400,
    message: 'The variables or extensions parameter is not valid JSON',
  },
  {
    what: 'a PUT',
    request: () => ({ ...post('{"query":"{ __typename }"}'), method: 'PUT' }),
    status: 405,
    message: 'GraphQL only supports GET and POST requests.',
  },
];

/** What a client must never see: the JSON parser's words, stacks, internal codes. */
const LEAKS = ['originalError', 'SyntaxError', 'Unexpected', 'position', 'stack', 'at ', 'INTERNAL_SERVER_ERROR', 'BAD_REQUEST'];

describe.each(MODES)('malformed requests in %s', (mode, t) => {
  test.each(MALFORMED)('$what: a 4xx, BAD_USER_INPUT, no parser text', async ({ request, search, status, message }) => {
    const answer = await send(t.url + (search ?? ''), request());
    expect(answer.status).toBe(status);
    if (message === undefined) {
      expect(answer.text).toBe('');
      return;
    }
    expect(answer.body?.data ?? null).toBeNull();
    expect(answer.body?.errors?.map((error) => error.message)).toEqual([message]);
    const extensions = answer.body!.errors![0]!.extensions!;
    // A developer sees what the JSON parser said of the body; production says nothing of it.
    if (mode === 'development' && message === 'POST body sent invalid JSON.') {
      expect(extensions).toEqual({ code: 'BAD_USER_INPUT', originalError: { name: 'SyntaxError', message: expect.any(String) } });
      return;
    }
    expect(extensions).toEqual({ code: 'BAD_USER_INPUT' });
    for (const leak of LEAKS) expect(answer.text, leak).not.toContain(leak);
  });

  test('a mutation over GET is 405 and changes nothing', async () => {
    const { restaurant, pos } = await kitchen(t);
    const order = await place(t, pos);
    const answer = await send(t.url + get({ query: `mutation { setOrderRush(id: "${order.id}", rush: true) { rush } }` }), {
      headers: { authorization: `Bearer ${pos}` },
    });
    expect([answer.status, answer.body]).toEqual([
      405,
      { errors: [{ message: 'Can only perform a mutation operation from a POST request.', extensions: { code: 'BAD_USER_INPUT' } }] },
    ]);
    expect(await eventCount(t.app, restaurant.id)).toBe(1);
  });

  test("the GraphQL-over-HTTP spec's server audits (graphql-http): no error, no warning", async () => {
    const fetchFn = (input: RequestInfo | URL, init?: RequestInit) => fetch(input, { ...init, signal: AbortSignal.timeout(ANSWER_MS) });
    const audits = serverAudits({ url: t.url, fetchFn });
    const results = await Promise.all(
      audits.map((audit) =>
        audit.fn().catch((error: unknown) => ({ id: audit.id, name: audit.name, status: 'error', reason: String(error) })),
      ),
    );
    expect(results).toHaveLength(61);
    const failed = results.filter((result) => result.status !== 'ok');
    expect(failed.map((result) => `${result.status} ${result.name}: ${'reason' in result ? result.reason : ''}`)).toEqual([]);
  });
});
