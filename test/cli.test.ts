import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { DEVELOPMENT_JWT_SECRET } from '../src/config/config.js';
import { startTestApp } from './support/harness.js';
import { runScript, type Run } from './support/processes.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The real `kds` CLI, spawned as a script would: node + tsx, on the test database. */
const kds = (args: string[], env: Record<string, string> = {}): Promise<Run> => runScript('src/cli/kds.ts', args, env);

/** A successful --json run: exit 0, nothing on stderr, exactly one line of JSON on stdout. */
function jsonOf<T>(run: Run): T {
  expect(run, run.stderr).toMatchObject({ code: 0, stderr: '' });
  expect(run.stdout.endsWith('\n')).toBe(true);
  expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
  return JSON.parse(run.stdout) as T;
}

/**
 * A failed run: the exit code, nothing on stdout, one line on stderr whose message matches. With
 * `errorCode` (a --json run) that line is exactly `{"error":{"code","message"[,"field"]}}`.
 */
function expectFailure(run: Run, code: 1 | 2, message: RegExp, errorCode?: string) {
  expect(run.code, `${run.stdout}${run.stderr}`).toBe(code);
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n')).toBe(true);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  if (errorCode === undefined) {
    expect(run.stderr).toMatch(/^kds: /);
    expect(run.stderr.trimEnd()).toMatch(message);
    return;
  }
  const parsed = JSON.parse(run.stderr) as { error: { code: string; message: string; field?: string } };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(Object.keys(parsed.error).slice(0, 2)).toEqual(['code', 'message']);
  expect(parsed.error.code).toBe(errorCode);
  expect(parsed.error.message).toMatch(message);
}

interface RestaurantJson {
  id: string;
  slug: string;
  name: string;
  stations: { id: string; name: string; expo: boolean }[];
}

interface TokenJson {
  token: string;
  expiresAt: string;
  restaurantId: string;
  role: string;
  sub: string;
}

const suffix = () => randomUUID().slice(0, 8);
const OFFLINE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' };

// Each spawn pays tsx's startup, and most the ORM's too (seconds on a busy machine): the tests run
// side by side, and the independent spawns inside each test too. They share one restaurant, made
// by the CLI itself, and each adds only what it alone checks.
describe.concurrent('kds CLI', { timeout: 120_000 }, () => {
  const id = suffix();
  let createRun: Run;
  let restaurant: RestaurantJson;
  beforeAll(async () => {
    createRun = await kds(['restaurant', 'create', '--name', `Café Olé ${id}`, '--stations', ' Grill, Fry ,Expo* ', '--json']);
    restaurant = JSON.parse(createRun.stdout || 'null') as RestaurantJson;
  }, 120_000);

  test('help exits 0; usage errors exit 2 with one line naming the argument, before touching the database', async () => {
    // An unreachable database: a usage error must not even try it.
    const [help, helpCommand, unknown, unknownSub, missingName, unknownOption, badRole, badTtl, badStations, negativeTtl, zeroTtl, twoExpos] = await Promise.all([
      kds(['--help'], OFFLINE),
      kds(['help'], OFFLINE),
      kds(['frobnicate'], OFFLINE),
      kds(['restaurant', 'delete'], OFFLINE),
      kds(['restaurant', 'create', '--stations', 'Grill,Expo*', '--json'], OFFLINE),
      kds(['restaurant', 'list', '--verbose'], OFFLINE),
      kds(['token', '--restaurant', 'anything', '--role', 'CHEF'], OFFLINE),
      kds(['token', '--restaurant', 'anything', '--role', 'OWNER', '--ttl', '12x'], OFFLINE),
      kds(['restaurant', 'create', '--name', 'X', '--stations', 'Grill,,Expo*'], OFFLINE),
      kds(['token', '--restaurant', 'anything', '--role', 'OWNER', '--ttl', '-5h'], OFFLINE),
      kds(['token', '--restaurant', 'anything', '--role', 'OWNER', '--ttl=0'], OFFLINE),
      kds(['restaurant', 'create', '--name', 'X', '--stations', 'Grill,Expo*,Pass*'], OFFLINE),
    ]);
    for (const run of [help, helpCommand]) {
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^Usage: /);
      for (const command of ['restaurant create', 'restaurant list', 'station add', 'token']) expect(run.stdout).toContain(command);
    }
    expectFailure(unknown, 2, /unknown command "frobnicate"/);
    expectFailure(unknownSub, 2, /unknown command "restaurant delete"/);
    expectFailure(missingName, 2, /^--name is required$/, 'USAGE_ERROR');
    expectFailure(unknownOption, 2, /unknown option --verbose/);
    expectFailure(badRole, 2, /--role "CHEF" is not a role: use one of OWNER, MANAGER, CASHIER, SERVER, KITCHEN, EXPO/);
    expectFailure(badTtl, 2, /--ttl: "12x" is not a duration/);
    expectFailure(badStations, 2, /--stations: station 2 has no name/);
    expectFailure(negativeTtl, 2, /^kds: --ttl: the TTL must be positive \(at least one second\), not "-5h" \(see kds --help\)$/);
    expectFailure(zeroTtl, 2, /--ttl: the TTL must be positive \(at least one second\), not "0"/);
    expectFailure(twoExpos, 2, /--stations: a restaurant has one expo station, not 2 \("Expo", "Pass"\)/);
  });

  test('restaurant create --json: stations in order, the star marks expo, the slug comes from the name', () => {
    const created = jsonOf<RestaurantJson>(createRun);
    expect(created.id).toMatch(UUID);
    expect(created.stations.map((s) => s.id)).toEqual([expect.stringMatching(UUID), expect.stringMatching(UUID), expect.stringMatching(UUID)]);
    const [grill, fry, expo] = created.stations;
    // Exactly this line: these keys, in this order.
    expect(createRun.stdout).toBe(
      `${JSON.stringify({
        id: created.id,
        slug: `cafe-ole-${id}`,
        name: `Café Olé ${id}`,
        stations: [
          { id: grill!.id, name: 'Grill', expo: false },
          { id: fry!.id, name: 'Fry', expo: false },
          { id: expo!.id, name: 'Expo', expo: true },
        ],
      })}\n`,
    );
  });

  test('station add --json (by id or slug, --expo where there is no expo yet), then restaurant list --json shows them', async () => {
    const [byId, bySlug, noExpo] = await Promise.all([
      kds(['station', 'add', '--restaurant', restaurant.id, '--name', 'Salad', '--json']),
      kds(['station', 'add', '--restaurant', restaurant.slug, '--name', 'Pass', '--expo', '--json']),
      kds(['restaurant', 'create', '--name', `No Expo ${id}`, '--stations', 'Grill', '--json']),
    ]);
    // A second expo station is refused, and nothing is added.
    expectFailure(bySlug, 1, /^--expo: the restaurant has its expo station already \("Expo"\): one per restaurant$/, 'BAD_USER_INPUT');
    expect(JSON.parse(bySlug.stderr).error.field).toBe('expo');
    const expoAdded = await kds(['station', 'add', '--restaurant', jsonOf<RestaurantJson>(noExpo).slug, '--name', 'Pass', '--expo', '--json']);
    const salad = jsonOf<{ id: string; name: string; expo: boolean }>(byId);
    expect(salad.id).toMatch(UUID);
    expect(byId.stdout).toBe(`${JSON.stringify({ id: salad.id, name: 'Salad', expo: false })}\n`);
    const pass = jsonOf<{ id: string; name: string; expo: boolean }>(expoAdded);
    expect(expoAdded.stdout).toBe(`${JSON.stringify({ id: pass.id, name: 'Pass', expo: true })}\n`);

    const list = jsonOf<RestaurantJson[]>(await kds(['restaurant', 'list', '--json']));
    expect(Array.isArray(list)).toBe(true);
    const listed = list.filter((r) => r.id === restaurant.id);
    expect(listed).toHaveLength(1);
    expect(Object.keys(listed[0]!)).toEqual(['id', 'slug', 'name', 'stations']);
    expect(listed[0]).toEqual({ ...restaurant, stations: [...restaurant.stations, salad] });
    expect(list.find((r) => r.slug === `no-expo-${id}`)!.stations.map(({ name, expo }) => ({ name, expo }))).toEqual([
      { name: 'Grill', expo: false },
      { name: 'Pass', expo: true },
    ]);
  });

  test('well-formed commands that fail exit 1: slug taken, unknown restaurant, station exists, database unreachable', async () => {
    const [duplicate, tokenUnknown, stationUnknown, stationTwice, unreachable] = await Promise.all([
      kds(['restaurant', 'create', '--name', 'Someone Else', '--slug', restaurant.slug, '--stations', 'Grill', '--json']),
      kds(['token', '--restaurant', `no-such-${id}`, '--role', 'OWNER', '--json']),
      kds(['station', 'add', '--restaurant', randomUUID(), '--name', 'Grill', '--json']),
      kds(['station', 'add', '--restaurant', restaurant.slug, '--name', 'Grill', '--json']),
      kds(['restaurant', 'list', '--json'], OFFLINE),
    ]);
    expectFailure(duplicate, 1, new RegExp(`^--slug: slug "${restaurant.slug}" is taken$`), 'BAD_USER_INPUT');
    expectFailure(tokenUnknown, 1, new RegExp(`^restaurant "no-such-${id}" not found$`), 'NOT_FOUND');
    expectFailure(stationUnknown, 1, /^restaurant "[0-9a-f-]{36}" not found$/, 'NOT_FOUND');
    expectFailure(stationTwice, 1, /^--name: station "Grill" exists already$/, 'BAD_USER_INPUT');
    expectFailure(unreachable, 1, /^cannot open the database: /, 'DATABASE_UNAVAILABLE');
    // Without --json, the same failure is a line of text.
    expectFailure(await kds(['restaurant', 'list'], OFFLINE), 1, /^kds: cannot open the database: /);
  });

  test('token --json signs for the restaurant with the development secret, the role, the sub and the ttl', async () => {
    const before = Math.floor(Date.now() / 1000);
    const [bySlug, byId] = await Promise.all([
      kds(['token', '--restaurant', restaurant.slug, '--role', 'KITCHEN', '--sub', 'line-1', '--name', 'Line screen', '--ttl', '90m', '--json']),
      kds(['token', '--restaurant', restaurant.id, '--role', 'cashier', '--json']),
    ]);
    const after = Math.floor(Date.now() / 1000);

    const kitchen = jsonOf<TokenJson>(bySlug);
    expect(Object.keys(kitchen)).toEqual(['token', 'expiresAt', 'restaurantId', 'role', 'sub']);
    expect(kitchen).toMatchObject({ restaurantId: restaurant.id, role: 'KITCHEN', sub: 'line-1' });
    const claims = jwt.verify(kitchen.token, DEVELOPMENT_JWT_SECRET, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ restaurantId: restaurant.id, role: 'KITCHEN', sub: 'line-1', name: 'Line screen' });
    expect(claims.exp).toBeGreaterThanOrEqual(before + 90 * 60);
    expect(claims.exp).toBeLessThanOrEqual(after + 90 * 60);
    expect(kitchen.expiresAt).toBe(new Date(claims.exp! * 1000).toISOString());

    // Defaults: the role in any case, a generated sub, 12 hours, no name.
    const cashier = jsonOf<TokenJson>(byId);
    expect(cashier).toMatchObject({ restaurantId: restaurant.id, role: 'CASHIER', sub: expect.stringMatching(/^cashier-/) });
    const defaults = jwt.verify(cashier.token, DEVELOPMENT_JWT_SECRET, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(defaults).toMatchObject({ restaurantId: restaurant.id, role: 'CASHIER', sub: cashier.sub });
    expect(defaults.name).toBeUndefined();
    expect(defaults.exp).toBeGreaterThanOrEqual(before + 12 * 3600);
    expect(defaults.exp).toBeLessThanOrEqual(after + 12 * 3600);
  });

  test('without --json: human text on stdout', async () => {
    const human = suffix();
    const [created, token] = await Promise.all([
      kds(['restaurant', 'create', '--name', `Human ${human}`, '--stations', 'Grill,Expo*']),
      kds(['token', '--restaurant', restaurant.slug, '--role', 'EXPO']),
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toContain(`Created restaurant Human ${human}`);
    expect(created.stdout).toContain(`slug human-${human}`);
    expect(created.stdout).toMatch(/Expo \(expo\)/);
    expect(token).toMatchObject({ code: 0, stderr: '' });
    const lines = token.stdout.trimEnd().split('\n');
    expect(lines[0]).toContain(`EXPO token for ${restaurant.name}`);
    expect(jwt.verify(lines.at(-1)!, DEVELOPMENT_JWT_SECRET)).toMatchObject({ role: 'EXPO', restaurantId: restaurant.id });
  });

  test('a token minted by the CLI works against the server', async () => {
    const [t, run] = await Promise.all([startTestApp(), kds(['token', '--restaurant', restaurant.slug, '--role', 'MANAGER', '--json'])]);
    try {
      const minted = jsonOf<TokenJson>(run);
      const response = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${minted.token}` },
        body: JSON.stringify({ query: '{ me { role restaurant { slug } } }' }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { me: { role: 'MANAGER', restaurant: { slug: restaurant.slug } } } });
    } finally {
      await t.stop();
    }
  });
});
