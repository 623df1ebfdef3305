import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Heartbeat } from '../src/server/heartbeat.js';

const INTERVAL_MS = 300;
const SLOTS = 3;

let stopServer: (() => Promise<void>) | undefined;
afterEach(() => stopServer?.());

/** A bare ws server whose sockets the heartbeat watches; every ping it sends is noted with its time. */
async function serve() {
  const heartbeat = new Heartbeat(INTERVAL_MS, SLOTS);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const pingsAt: number[] = [];
  wss.on('connection', (socket) => {
    const ping = socket.ping.bind(socket);
    socket.ping = (...args: Parameters<WebSocket['ping']>) => {
      pingsAt.push(performance.now());
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
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, pingsAt };
}

async function connect(url: string, options: WebSocket.ClientOptions = {}) {
  const socket = new WebSocket(url, options);
  let pings = 0;
  socket.on('ping', () => (pings += 1));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return { socket, pings: () => pings };
}

const until = (what: string, done: () => boolean, timeoutMs = 5_000) =>
  new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const check = setInterval(() => {
      if (done()) {
        clearInterval(check);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(check);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 5);
  });

test('a socket that does not answer a ping is terminated at its next turn; one that answers stays', async () => {
  const { url } = await serve();
  const silent = await connect(url, { autoPong: false });
  const answering = await connect(url);
  const closed = new Promise<number>((resolve) => silent.socket.once('close', (code) => resolve(code)));

  expect(await closed).toBe(1006); // terminated: no close frame
  expect(silent.pings()).toBe(1);
  await until('three pings to the answering socket', () => answering.pings() >= 3);
  expect(answering.socket.readyState).toBe(WebSocket.OPEN);
  answering.socket.close();
});

test('sockets that connect together are pinged a slice per turn, not all at once', async () => {
  const { url, pingsAt } = await serve();
  const screens = await Promise.all(Array.from({ length: 6 }, () => connect(url)));
  await until('one ping to every socket', () => pingsAt.length >= 6);

  // Pings of one turn go out together; turns are INTERVAL_MS / SLOTS (100 ms) apart.
  const firstRound = pingsAt.slice(0, 6);
  const turns: number[][] = [];
  for (const at of firstRound) {
    const turn = turns.at(-1);
    if (turn && at - turn[0]! < 50) turn.push(at);
    else turns.push([at]);
  }
  expect(turns.map((turn) => turn.length)).toEqual([2, 2, 2]);
  for (const screen of screens) expect(screen.pings()).toBeGreaterThanOrEqual(1);
  for (const screen of screens) screen.socket.close();
});
