import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PlaceOrderDocument } from './generated/graphql.js';
import { createRestaurant, newKey, ok, tokenFor, useTestApp } from './support/harness.js';

const t = useTestApp();
let browser: Browser;
const shots = mkdtempSync(join(tmpdir(), 'kds-graphiql-'));

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  console.log(`GraphiQL screenshots: ${shots}`);
});

const isLocal = (href: string) => {
  const url = new URL(href);
  return ['data:', 'blob:'].includes(url.protocol) || ['127.0.0.1', 'localhost'].includes(url.hostname);
};

/** Opens GraphiQL with every request to another host refused, and records every one attempted. */
async function openGraphiQL(): Promise<{ page: Page; foreign: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const foreign: string[] = [];
  page.on('request', (request) => void (isLocal(request.url()) || foreign.push(request.url())));
  page.on('websocket', (socket) => void (isLocal(socket.url()) || foreign.push(socket.url())));
  await page.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort()));
  await page.goto(t.url);
  return { page, foreign };
}

/** Replaces an editor's text by typing, as a person would (Monaco closes brackets and quotes, and then types over them). */
async function typeInto(page: Page, editor: string, text: string): Promise<void> {
  await page.locator(`${editor} .monaco-editor`).first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(text);
  // The typed text, as Monaco holds it (no extra closing brackets or quotes): spaces collapsed.
  const shown = await page.locator(`${editor} .view-lines`).first().innerText();
  const normalize = (value: string) => value.replace(/\s+/g, ' ').trim();
  expect(normalize(shown), `typed ${JSON.stringify(text)}, the editor shows ${JSON.stringify(shown)}`).toBe(normalize(text));
}

const responseText = (page: Page) => page.locator('.graphiql-response .view-lines').innerText().then((text) => text.replace(/\s+/g, ' '));

test('GraphiQL offline: the editor renders, a query with the token in Headers answers, and kitchenQueue streams the SNAPSHOT then live orders', async () => {
  const restaurant = await createRestaurant(t.app);
  const kitchen = tokenFor(t.app, restaurant, 'KITCHEN');
  const { page, foreign } = await openGraphiQL();
  await page.locator('.graphiql-query-editor .monaco-editor').waitFor({ timeout: 20_000 });
  await page.screenshot({ path: join(shots, '1-loaded.png') });

  await page.getByRole('button', { name: 'Headers' }).click();
  await typeInto(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)', `{"Authorization": "Bearer ${kitchen}"}`);
  await typeInto(page, '.graphiql-query-editor', '{ me { role restaurant { name } } }');
  await page.getByRole('button', { name: 'Execute query (Ctrl-Enter)' }).click();
  await expect.poll(() => responseText(page), { timeout: 10_000 }).toContain(`"name": "${restaurant.name}"`);
  expect(await responseText(page)).toContain('"role": "KITCHEN"');
  await page.screenshot({ path: join(shots, '2-query.png') });

  await typeInto(page, '.graphiql-query-editor', 'subscription { kitchenQueue { kind cursor order { number status items { name } } orders { number } } }');
  await page.getByRole('button', { name: 'Execute query (Ctrl-Enter)' }).click();
  await expect.poll(() => responseText(page), { timeout: 10_000 }).toContain('"kind": "SNAPSHOT"');
  await page.screenshot({ path: join(shots, '3-snapshot.png') });

  const cashier = tokenFor(t.app, restaurant, 'CASHIER');
  const placed = await ok(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), table: '12', items: [{ name: 'Burger' }, { name: 'Fries', quantity: 2 }] } }, cashier);
  await expect.poll(() => responseText(page), { timeout: 10_000 }).toContain('"kind": "ORDER_CREATED"');
  expect(await responseText(page)).toContain(`"number": ${placed.placeOrder.number}`);
  await page.screenshot({ path: join(shots, '4-live.png') });

  expect(foreign).toEqual([]);
  await page.close();
});
