/**
 * One client at a time on the embedded database. PGlite is a single session, and its socket server
 * queues each protocol message on its own: outside an explicit transaction, one client's
 * Parse/Bind/Execute can land between another's (`portal "" does not exist`, or a statement run with the
 * other's parameters). The password gate in front of it passes each connection's messages through only
 * while that connection has the turn: from the first message it sends until PGlite answers its last
 * Sync/Query with ReadyForQuery "idle" (so a whole transaction, too); the others' messages wait in order.
 * A client that goes away in the middle of its turn (killed, or its pool closed mid-query) leaves the one
 * session as it was: inside a transaction, or inside an extended-protocol exchange that a later Sync must
 * end (after an error PostgreSQL skips every message until then, the next client's too). So its turn ends
 * only once the gate has closed that exchange itself (Sync, then ROLLBACK) and the session is idle again.
 */
import type { Socket } from "node:net";

/** Calls back with each message's type and first body byte in a stream of `type, int32 length, body`. */
export class MessageFrames {
  private header = Buffer.alloc(0);
  /** True between a message's first byte and its last. */
  get midMessage(): boolean {
    return this.header.length > 0 || this.remaining > 0;
  }
  private remaining = 0;
  private type = "";
  private firstPending = false;

  constructor(private readonly onMessage: (type: string, first: number | undefined) => void) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        if (this.firstPending) {
          this.firstPending = false;
          this.onMessage(this.type, chunk[at]);
        }
        const take = Math.min(this.remaining, chunk.length - at);
        this.remaining -= take;
        at += take;
        continue;
      }
      const need = 5 - this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(at, at + need)]);
      at += Math.min(need, chunk.length - at);
      if (this.header.length < 5) return;
      this.type = String.fromCharCode(this.header[0] ?? 0);
      this.remaining = this.header.readInt32BE(1) - 4;
      this.header = Buffer.alloc(0);
      if (this.remaining <= 0) this.onMessage(this.type, undefined);
      else this.firstPending = true;
    }
  }
}

export class Turns {
  private holder: Pipe | undefined;
  private readonly waiting: Pipe[] = [];

  /**
   * Pipes one authenticated client to its PGlite connection, taking turns with the others. The pipe
   * owns `upstream` from now on: it closes it once the client is gone and the session is clean.
   */
  pipe(client: Socket, upstream: Socket, ahead: Buffer): void {
    const pipe = new Pipe(this, client, upstream);
    if (ahead.length > 0) pipe.fromClient(ahead);
    client.on("data", (chunk: Buffer) => pipe.fromClient(chunk));
    upstream.on("data", (chunk: Buffer) => pipe.fromUpstream(chunk));
    client.once("close", () => pipe.clientGone());
    upstream.once("close", () => this.release(pipe));
    client.resume();
  }

  holds(pipe: Pipe): boolean {
    return this.holder === pipe;
  }

  /** True when `pipe` has the turn (taking it if free); else it is queued. */
  request(pipe: Pipe): boolean {
    if (this.holder === pipe) return true;
    if (this.holder === undefined) {
      this.holder = pipe;
      return true;
    }
    if (!this.waiting.includes(pipe)) this.waiting.push(pipe);
    return false;
  }

  release(pipe: Pipe): void {
    const queued = this.waiting.indexOf(pipe);
    if (queued >= 0) this.waiting.splice(queued, 1);
    if (this.holder !== pipe) return;
    this.holder = undefined;
    for (let next = this.waiting.shift(); next !== undefined; next = this.waiting.shift()) {
      this.holder = next;
      if (next.flush()) return;
      this.holder = undefined;
    }
  }
}

/** How long a departed client's clean-up may take before its connection is cut anyway. */
const CLEAN_UP_MS = 5_000;

const IDLE = 0x49; // ReadyForQuery "I"

class Pipe {
  private pending: Buffer[] = [];
  /** Syncs and simple queries sent and not yet answered with ReadyForQuery. */
  private outstanding = 0;
  /** Extended-protocol messages (Parse, Bind, Execute…) sent since the last Sync. */
  private unsynced = false;
  /** The transaction status of the last ReadyForQuery. */
  private status = IDLE;
  private gone = false;
  private readonly sent: MessageFrames;
  private readonly received: MessageFrames;

  constructor(
    private readonly turns: Turns,
    private readonly client: Socket,
    private readonly upstream: Socket,
  ) {
    this.sent = new MessageFrames((type) => {
      if (type === "S" || type === "Q") this.outstanding++;
      this.unsynced = type !== "S" && type !== "Q" && type !== "X";
    });
    this.received = new MessageFrames((type, status) => {
      if (type !== "Z") return;
      this.outstanding = Math.max(0, this.outstanding - 1);
      this.status = status ?? IDLE;
      // "I": idle, outside a transaction; "T"/"E": in one, which only this client may go on with.
      if (this.outstanding !== 0 || this.status !== IDLE) return;
      if (this.gone) this.upstream.destroy();
      else if (this.pending.length === 0) this.turns.release(this);
    });
  }

  /** The client closed: end its turn now if the session is clean, else after cleaning it up. */
  clientGone(): void {
    this.gone = true;
    this.pending = [];
    const dirty = this.outstanding > 0 || this.unsynced || this.status !== IDLE;
    // Mid-message (the client died inside one) nothing can be appended safely; PGlite drops its
    // partial message and rolls back an open transaction when the connection closes.
    if (!this.turns.holds(this) || !dirty || this.sent.midMessage || this.upstream.destroyed) {
      this.upstream.destroy();
      return;
    }
    for (const message of [SYNC, ROLLBACK]) {
      this.sent.push(message);
      this.upstream.write(message);
    }
    setTimeout(() => this.upstream.destroy(), CLEAN_UP_MS).unref();
  }

  fromClient(chunk: Buffer): void {
    this.pending.push(chunk);
    if (this.turns.request(this)) this.flush();
  }

  fromUpstream(chunk: Buffer): void {
    if (!this.client.destroyed) this.client.write(chunk);
    this.received.push(chunk);
  }

  /** Sends what waited; false when there was nothing (the turn should go on to the next). */
  flush(): boolean {
    if (this.pending.length === 0 || this.upstream.destroyed) return false;
    for (const chunk of this.pending.splice(0)) {
      this.sent.push(chunk);
      this.upstream.write(chunk);
    }
    return true;
  }
}

const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

/** A simple Query message: outside a transaction it only warns, inside one it ends it. */
const ROLLBACK = (() => {
  const text = Buffer.from("ROLLBACK\0", "utf8");
  const head = Buffer.alloc(5);
  head.write("Q", 0, "latin1");
  head.writeInt32BE(4 + text.length, 1);
  return Buffer.concat([head, text]);
})();
