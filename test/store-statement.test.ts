import { expect, test } from 'vitest';
import type { Sql } from '../src/db/sql.js';
import { statement } from '../src/store/statement.js';

/** An Sql that records what it was sent instead of sending it. */
function recorder() {
  const sent: { text: string; values: readonly unknown[] }[] = [];
  const sql = (async (text: string, values: readonly unknown[] = []) => {
    sent.push({ text, values });
    return [];
  }) as Sql;
  return { sql, sent };
}

test('named parameters become ? in order of use, each use its own; casts and quoted text are left alone', async () => {
  const { sql, sent } = recorder();
  const run = statement<{ id: string; at: string; n: number }>(
    `select to_char(:at::timestamptz, 'HH24:MI:SS') from t where id = :id and x::text = 'a :id' and parent = :id and n = :n`,
  );
  await run(sql, { id: 'o1', at: 'T', n: 3 });
  await run(sql, { id: 'o2', at: 'U', n: 4 });
  expect(sent).toEqual([
    { text: `select to_char(?::timestamptz, 'HH24:MI:SS') from t where id = ? and x::text = 'a :id' and parent = ? and n = ?`, values: ['T', 'o1', 'o1', 3] },
    { text: `select to_char(?::timestamptz, 'HH24:MI:SS') from t where id = ? and x::text = 'a :id' and parent = ? and n = ?`, values: ['U', 'o2', 'o2', 4] },
  ]);
});

test('a parameter the call does not give is an error before anything is sent', async () => {
  const { sql, sent } = recorder();
  const run = statement<{ id: string }>('select :id, :other');
  expect(() => run(sql, { id: 'x' })).toThrow('statement parameter :other is missing');
  expect(sent).toEqual([]);
});
