import type { WebSocket } from 'ws';

/**
 * Keep-alive for every socket of a server: each is pinged once per `intervalMs`, and one that has
 * not answered its previous ping by then is terminated (a screen that lost power, a NAT that
 * forgot the connection). One timer walks the sockets in `slots` turns, so each turn pings a
 * slice of them: screens that connected together (after a deploy or a network blip) are not all
 * pinged in the same moment, which a timer per socket would do every interval for as long as they
 * stay, and an idle socket costs no timer or closure of its own.
 */
export class Heartbeat {
  private readonly slots: Set<WebSocket>[];
  private readonly slotOf = new WeakMap<WebSocket, Set<WebSocket>>();
  private readonly unanswered = new WeakSet<WebSocket>();
  private readonly timer: NodeJS.Timeout;
  private joining = 0;
  private turn = 0;
  private readonly onPong: (this: WebSocket) => void;
  private readonly onClose: (this: WebSocket) => void;

  constructor(intervalMs: number, slots = 12) {
    this.slots = Array.from({ length: slots }, () => new Set<WebSocket>());
    const heartbeat = this;
    this.onPong = function onPong() {
      heartbeat.unanswered.delete(this);
    };
    this.onClose = function onClose() {
      heartbeat.slotOf.get(this)?.delete(this);
    };
    this.timer = setInterval(() => this.beat(), intervalMs / slots);
    this.timer.unref();
  }

  add(socket: WebSocket): void {
    const slot = this.slots[this.joining]!;
    this.joining = (this.joining + 1) % this.slots.length;
    slot.add(socket);
    this.slotOf.set(socket, slot);
    socket.on('pong', this.onPong);
    socket.once('close', this.onClose);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    const slot = this.slots[this.turn]!;
    this.turn = (this.turn + 1) % this.slots.length;
    for (const socket of slot) {
      if (socket.readyState !== socket.OPEN) continue;
      if (this.unanswered.has(socket)) {
        socket.terminate();
        continue;
      }
      this.unanswered.add(socket);
      socket.ping();
    }
  }
}
