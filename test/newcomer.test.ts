import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ENVIRONMENT_VARIABLES } from '../src/config/config.js';
import { useTestApp } from './support/harness.js';
import { ROOT } from './support/processes.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The README's `## title` section, up to the next one. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  expect(start, `README has a "## ${title}" section`).toBeGreaterThan(-1);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

describe('what a newcomer meets first', () => {
  const t = useTestApp();

  test('GET / redirects (302) to GraphiQL at /graphql', async () => {
    const response = await fetch(t.url.replace(/\/graphql$/, '/'), { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/graphql');
  });

  test("the README's Configuration table lists every environment variable the server reads, and only those", () => {
    const names = section('Configuration')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]!));
    expect(new Set(names).size, 'each variable in one row').toBe(names.length);
    expect([...names].sort()).toEqual([...ENVIRONMENT_VARIABLES, 'TEST_DATABASE_URL', 'TEST_REDIS_URL'].sort());
  });

  test("the README's links stay inside the repository and lead to files that exist, the contract's included", () => {
    const targets = [...README.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z]+:/.test(target));
    expect(targets).toEqual(expect.arrayContaining(['docs/contract/schema.graphql', 'docs/contract/README.md', 'docs/contract/next/README.md']));
    for (const target of targets) {
      expect(resolve(ROOT, target).startsWith(ROOT), `${target} is inside the repository`).toBe(true);
      expect(existsSync(join(ROOT, target)), `${target} exists`).toBe(true);
    }
  });
});
