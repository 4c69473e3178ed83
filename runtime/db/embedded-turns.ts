/**
 * One client at a time on the embedded database. PGlite is a single session, and its socket server
 * queues each protocol message on its own: outside an explicit transaction, one client's
 * Parse/Bind/Execute can land between another's (`portal "" does not exist`, or a statement run with the
 * other's parameters). The password gate in front of it passes each connection's messages through only
 * while that connection has the turn: from the first message it sends until PGlite answers its last
 * Sync/Query with ReadyForQuery "idle" (so a whole transaction, too); the others' messages wait in order.
 */
import type { Socket } from "node:net";

/** Calls back with each message's type and first body byte in a stream of `type, int32 length, body`. */
export class MessageFrames {
  private header = Buffer.alloc(0);
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

  /** Pipes one authenticated client to its PGlite connection, taking turns with the others. */
  pipe(client: Socket, upstream: Socket, ahead: Buffer): void {
    const pipe = new Pipe(this, client, upstream);
    if (ahead.length > 0) pipe.fromClient(ahead);
    client.on("data", (chunk: Buffer) => pipe.fromClient(chunk));
    upstream.on("data", (chunk: Buffer) => pipe.fromUpstream(chunk));
    client.once("close", () => this.release(pipe));
    upstream.once("close", () => this.release(pipe));
    client.resume();
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

class Pipe {
  private pending: Buffer[] = [];
  /** Syncs and simple queries sent and not yet answered with ReadyForQuery. */
  private outstanding = 0;
  private readonly sent: MessageFrames;
  private readonly received: MessageFrames;

  constructor(
    private readonly turns: Turns,
    private readonly client: Socket,
    private readonly upstream: Socket,
  ) {
    this.sent = new MessageFrames((type) => {
      if (type === "S" || type === "Q") this.outstanding++;
    });
    this.received = new MessageFrames((type, status) => {
      if (type !== "Z") return;
      this.outstanding = Math.max(0, this.outstanding - 1);
      // "I": idle, outside a transaction; "T"/"E": in one, which only this client may go on with.
      if (this.outstanding === 0 && status === 0x49 && this.pending.length === 0) this.turns.release(this);
    });
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
