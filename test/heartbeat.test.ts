import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Heartbeat } from '../src/server/heartbeat.js';
import { closed } from './support/harness.js';

const INTERVAL_MS = 300;
const SLOTS = 3;

let stopServer: (() => Promise<void>) | undefined;
afterEach(() => stopServer?.());

/** A bare ws server whose sockets the heartbeat watches; every ping it sends is noted with its time. */
async function serve() {
  const heartbeat = new Heartbeat(INTERVAL_MS, SLOTS);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const pingsAt: number[] = [];
  let sixthPing: () => void = () => {};
  const sixPingsSent = new Promise<void>((resolve) => (sixthPing = resolve));
  wss.on('connection', (socket) => {
    const ping = socket.ping.bind(socket);
    socket.ping = (...args: Parameters<WebSocket['ping']>) => {
      if (pingsAt.push(performance.now()) === 6) sixthPing();
      ping(...args);
    };
    heartbeat.add(socket);
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  stopServer = async () => {
    heartbeat.close();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, pingsAt, sixPingsSent };
}

/** A client socket that counts the pings it gets; `pinged(n)` resolves at the n-th. */
async function connect(url: string, options: WebSocket.ClientOptions = {}) {
  const socket = new WebSocket(url, options);
  let pings = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  socket.on('ping', () => {
    pings += 1;
    for (const wait of waiting) if (wait.n === pings) wait.resolve();
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const pinged = (n: number) => new Promise<void>((resolve) => (pings >= n ? resolve() : waiting.push({ n, resolve })));
  return { socket, pings: () => pings, pinged };
}

test('a socket that does not answer a ping is terminated at its next turn; one that answers stays', async () => {
  const { url } = await serve();
  const silent = await connect(url, { autoPong: false });
  const answering = await connect(url);
  const silentClosed = closed(silent.socket);

  expect((await silentClosed).code).toBe(1006); // terminated: no close frame
  expect(silent.pings()).toBe(1);
  await answering.pinged(3);
  expect(answering.socket.readyState).toBe(WebSocket.OPEN);
  answering.socket.close();
});

test('sockets that connect together are pinged a slice per turn, not all at once', async () => {
  const { url, pingsAt, sixPingsSent } = await serve();
  const screens = await Promise.all(Array.from({ length: 6 }, () => connect(url)));
  await sixPingsSent;

  // Pings of one turn go out together; turns are INTERVAL_MS / SLOTS (100 ms) apart.
  const firstRound = pingsAt.slice(0, 6);
  const turns: number[][] = [];
  for (const at of firstRound) {
    const turn = turns.at(-1);
    if (turn && at - turn[0]! < 50) turn.push(at);
    else turns.push([at]);
  }
  expect(turns.map((turn) => turn.length)).toEqual([2, 2, 2]);
  await Promise.all(screens.map((screen) => screen.pinged(1)));
  for (const screen of screens) screen.socket.close();
});
