import { z } from 'zod/v4';
import { BadUserInputError } from '../domain/errors.js';
import { ORDER_TYPES } from '../domain/vocabulary.js';

const UNSTORABLE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/**
 * Code points in `value` (a surrogate pair is one), without making an array of them; -1 when
 * PostgreSQL cannot store it: text and jsonb refuse U+0000, jsonb refuses an unpaired surrogate
 * (and a text parameter would turn it into U+FFFD). Refused here, such text is BAD_USER_INPUT
 * naming its field instead of a driver error (a 500).
 */
function storableLength(value: string): number {
  let count = value.length;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit === 0 || (unit >= 0xdc00 && unit <= 0xdfff)) return -1;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < value.length ? value.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return -1;
      count -= 1;
      i += 1;
    }
  }
  return count;
}

/** Every string a mutation takes goes through this or `text`, so every field gets the rule. */
export const idInput = z.string().refine((value) => storableLength(value) >= 0, UNSTORABLE);

/** Lengths count Unicode code points, as the contract says, not UTF-16 units. */
const text = (min: number, max: number) =>
  z.string().superRefine((value, ctx) => {
    const length = storableLength(value);
    if (length < 0) {
      ctx.addIssue({ code: 'custom', message: UNSTORABLE });
      return;
    }
    if (length < min || length > max) {
      ctx.addIssue({
        code: 'custom',
        message: min > 0 ? `must be ${min} to ${max} characters` : `must be at most ${max} characters`,
      });
    }
  });

const optionalText = (max: number) => text(0, max).nullish();

const orderItemInput = z.object({
  name: text(1, 200),
  quantity: z.number().int().min(1, 'must be 1 to 999').max(999, 'must be 1 to 999').default(1),
  modifiers: z.array(text(1, 100)).max(20, 'at most 20 modifiers').nullish(),
  notes: optionalText(500),
  stationId: idInput.nullish(),
});

const items = z.array(orderItemInput);

export const placeOrderInput = z.object({
  clientRequestId: text(1, 100),
  type: z.enum(ORDER_TYPES).default('DINE_IN'),
  table: optionalText(100),
  customerName: optionalText(100),
  notes: optionalText(500),
  rush: z.boolean().nullish(),
  items: items.min(1, 'an order needs 1 to 100 items').max(100, 'an order needs 1 to 100 items'),
});

export const updateOrderInput = z.object({
  table: optionalText(100),
  customerName: optionalText(100),
  notes: optionalText(500),
  addItems: items.max(100, 'an order has at most 100 items').nullish(),
  voidItemIds: z.array(idInput).max(100).nullish(),
});

export const reasonInput = optionalText(500);

export type PlaceOrderInput = z.input<typeof placeOrderInput>;
export type UpdateOrderInput = z.input<typeof updateOrderInput>;
export type OrderItemInput = z.output<typeof orderItemInput>;

/** Parses or throws BAD_USER_INPUT naming the first offending path, e.g. `input.items.0.name`. */
export function parseInput<S extends z.ZodTypeAny>(schema: S, value: unknown, root: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = [root, ...issue.path].join('.');
  throw new BadUserInputError(`${field} ${issue.message}`, field);
}
