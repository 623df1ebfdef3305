import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  print,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../schema/context.js';
import { AsyncQueue } from '../services/async-queue.js';
import type { ServerContext } from './yoga.js';

/**
 * How many recent events a group remembers the result of, and for how long: the subscribers of a
 * group read an event within moments of each other. One that lags further executes it itself.
 */
const RECENT = 8;
const KEEP_MS = 1000;

type MaybePromise<T> = T | Promise<T>;

interface Shared {
  payload: unknown;
  result: MaybePromise<ExecutionResult>;
  /** Subscribers that have taken it: once every member has, it is dropped. */
  uses: number;
  at: number;
}

interface Group {
  key: string;
  members: number;
  recent: (Shared | undefined)[];
  next: number;
}

const isPromise = <T>(value: MaybePromise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/** Object keys sorted, so that {a, b} and {b, a} name the same variables. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The variables that can change how an event executes: every variable the operation uses except
 * where it only feeds the root field's arguments (`after`, `stationId`, `orderChanged`'s `id`),
 * which choose the events a subscriber gets, not what an event looks like. That holds while the
 * subscription fields' `resolve` returns the event as it is (see schema/types/kitchen-queue.ts):
 * a root `resolve` that read its arguments would have to make this include them.
 */
function executionVariables(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  const used = new Set<string>();
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const seenFragments = new Set<string>();
  const value = (node: ValueNode): void => {
    if (node.kind === Kind.VARIABLE) used.add(node.name.value);
    else if (node.kind === Kind.LIST) node.values.forEach(value);
    else if (node.kind === Kind.OBJECT) node.fields.forEach((field) => value(field.value));
  };
  const directives = (node: { directives?: readonly { arguments?: readonly { value: ValueNode }[] }[] }) =>
    node.directives?.forEach((d) => d.arguments?.forEach((a) => value(a.value)));
  const selections = (set: SelectionSetNode | undefined, root: boolean): void => {
    for (const selection of set?.selections ?? []) {
      directives(selection);
      if (selection.kind === Kind.FIELD) {
        if (!root) selection.arguments?.forEach((a) => value(a.value));
        selections(selection.selectionSet, false);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        selections(selection.selectionSet, root);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A fragment spread at the root and again below would need both treatments: treat it as below.
        if (!fragment || (seenFragments.has(name) && root)) continue;
        seenFragments.add(name);
        directives(fragment);
        selections(fragment.selectionSet, root);
      }
    }
  };
  directives(operation);
  selections(operation.selectionSet, true);
  return used;
}

/** Short ids for document texts, so a group key (which every subscriber of the group holds) stays small. */
const MAX_DOCUMENT_IDS = 1000;
const MAX_ID_TEXT_LENGTH = 16 * 1024;
const documentIds = new Map<string, string>();
const documentKeys = new WeakMap<DocumentNode, string>();

function documentKeyOf(document: DocumentNode): string {
  let key = documentKeys.get(document);
  if (key === undefined) {
    const text = document.loc?.source.body ?? print(document);
    key = documentIds.get(text);
    if (key === undefined) {
      // Past the caps, the text itself is the key: still correct, only longer.
      const keep = documentIds.size < MAX_DOCUMENT_IDS && text.length <= MAX_ID_TEXT_LENGTH;
      key = keep ? `d${documentIds.size + 1}` : text;
      if (keep) documentIds.set(text, key);
    }
    documentKeys.set(document, key);
  }
  return key;
}
/** What is worked out once per document and operation, for every subscription that sends it. */
interface PerOperation {
  /** The variables that decide the group (executionVariables). */
  variables: Set<string>;
  /**
   * The selection compiled (graphql-jit): each event runs the same selection on a new payload,
   * without graphql-js's per-field interpretation. Null when it cannot compile: graphql-js runs it.
   */
  compiled: CompiledQuery | null;
}
const perDocument = new WeakMap<DocumentNode, Map<string, PerOperation>>();

function perOperation(args: ExecutionArgs, operation: OperationDefinitionNode): PerOperation {
  let byName = perDocument.get(args.document);
  if (!byName) perDocument.set(args.document, (byName = new Map()));
  const name = operation.name?.value ?? '';
  let known = byName.get(name);
  if (!known) {
    const compiled = compileQuery(args.schema, args.document, args.operationName ?? undefined);
    known = { variables: executionVariables(args.document, operation), compiled: isCompiledQuery(compiled) ? compiled : null };
    byName.set(name, known);
  }
  return known;
}

/**
 * Subscribers whose events execute alike share one execution per event. A group is one
 * restaurant, one role, one document and operation, and the same values of the variables the
 * events' selection uses. Each subscriber still has its own source stream (its SNAPSHOT or
 * replay, its station filter, its cursor); only the execution of an event that several of them
 * receive, the same payload object, is done once and its result handed to all of them.
 *
 * Plugged into yoga as the engine's subscribe step, so everything around it (auth in the
 * resolvers, error masking, the transports) is unchanged.
 */
export class SubscriptionGroups {
  private readonly groups = new Map<string, Group>();
  private sweep: NodeJS.Timeout | undefined;

  plugin(): Plugin {
    return {
      onSubscribe: ({ args, setSubscribeFn }) => {
        const key = this.keyOf(args as ExecutionArgs);
        if (key !== null) setSubscribeFn((subscribeArgs) => this.subscribe(subscribeArgs as ExecutionArgs, key));
      },
    };
  }

  private keyOf(args: ExecutionArgs): string | null {
    const context = args.contextValue as Partial<GraphQLContext> | undefined;
    const viewer = context?.viewer;
    if (!viewer) return null;
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation || operation.operation !== 'subscription') return null;
    const operationName = operation.name?.value ?? '';
    const { variables: names } = perOperation(args, operation);
    const raw = (args.variableValues ?? {}) as Record<string, unknown>;
    const variables: Record<string, unknown> = {};
    for (const name of names) variables[name] = raw[name];
    const key = stableJson([viewer.restaurantId, viewer.role, documentKeyOf(args.document), operationName, variables]);
    // The group's own copy of the key, so that its subscribers do not each keep one.
    return this.groups.get(key)?.key ?? key;
  }

  private async subscribe(args: ExecutionArgs, key: string): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const operation = getOperationAST(args.document, args.operationName)!;
    const { compiled } = perOperation(args, operation);
    const group = this.join(key);
    const iterator = source[Symbol.asyncIterator]();
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      this.leave(group);
    };
    const run = (payload: unknown): MaybePromise<ExecutionResult> => {
      for (let i = 0; i < RECENT; i++) {
        const entry = group.recent[i];
        if (entry && entry.payload === payload) {
          entry.uses += 1;
          if (entry.uses >= group.members) group.recent[i] = undefined;
          return entry.result;
        }
      }
      const result = (
        compiled
          ? compiled.query(payload, args.contextValue, args.variableValues)
          : execute({ ...args, rootValue: payload })
      ) as MaybePromise<ExecutionResult>;
      // Alone in its group, or a payload only this subscriber gets (its SNAPSHOT): nothing to keep.
      if (group.members > 1) {
        group.recent[group.next] = { payload, result, uses: 1, at: Date.now() };
        group.next = (group.next + 1) % RECENT;
        this.sweepSoon();
      }
      return result;
    };
    // A caught-up screen's events go straight to its socket; see AsyncQueue.handOffTo. What the
    // socket cannot take at once (or a result with errors, or one still being computed) goes the
    // engine's way: the reader takes it, already run.
    let handedBack: { payload: unknown; result: MaybePromise<ExecutionResult> } | undefined;
    const writeDirectly = (args.contextValue as ServerContext | undefined)?.writeDirectly;
    if (writeDirectly && source instanceof AsyncQueue) {
      source.handOffTo((payload) => {
        let result: MaybePromise<ExecutionResult>;
        try {
          result = run(payload);
        } catch {
          return false; // the reader runs it again, and reports what it throws
        }
        if (!isPromise(result) && writeDirectly(result)) return true;
        handedBack = { payload, result };
        return false;
      });
    }
    const mapped: AsyncIterableIterator<ExecutionResult> = {
      async next(): Promise<IteratorResult<ExecutionResult>> {
        let step: IteratorResult<unknown>;
        try {
          step = await iterator.next();
        } catch (error) {
          leave();
          // As the engine's own subscribe reports an error of the event stream.
          throw new GraphQLError(error instanceof Error ? error.message : String(error), {
            originalError: error instanceof Error ? error : undefined,
            nodes: [operation],
          });
        }
        if (step.done) {
          leave();
          return { value: undefined, done: true };
        }
        const taken = handedBack && handedBack.payload === step.value ? handedBack.result : run(step.value);
        handedBack = undefined;
        return { value: await taken, done: false };
      },
      async return(): Promise<IteratorResult<ExecutionResult>> {
        leave();
        await iterator.return?.();
        return { value: undefined, done: true };
      },
      async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
        leave();
        await iterator.return?.();
        throw error;
      },
      [Symbol.asyncIterator]: () => mapped,
    };
    return mapped;
  }

  /** Drops what no member took within KEEP_MS (payloads only some members get, SNAPSHOTs), so results never pile up. */
  private sweepSoon(): void {
    if (this.sweep) return;
    this.sweep = setTimeout(() => {
      this.sweep = undefined;
      const old = Date.now() - KEEP_MS;
      let left = false;
      for (const group of this.groups.values()) {
        for (let i = 0; i < RECENT; i++) {
          const entry = group.recent[i];
          if (!entry) continue;
          if (entry.at <= old) group.recent[i] = undefined;
          else left = true;
        }
      }
      if (left) this.sweepSoon();
    }, KEEP_MS);
    this.sweep.unref();
  }

  private join(key: string): Group {
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { key, members: 0, recent: new Array(RECENT), next: 0 }));
    group.members += 1;
    return group;
  }

  private leave(group: Group): void {
    group.members -= 1;
    if (group.members <= 0 && this.groups.get(group.key) === group) this.groups.delete(group.key);
  }
}
