/**
 * A password check in front of the embedded database. PGlite's socket server accepts any user and any
 * password (it has no authentication hook), so it listens on a Unix socket in a directory only the owner
 * can enter, and what listens on loopback TCP is this: it answers the start-up handshake itself with an
 * MD5 password challenge (which every client speaks, and which keeps the password off the wire), and only
 * a client that answers it with the generated credentials is piped through to PGlite, whose own start-up
 * reply (AuthenticationOk, parameters, ReadyForQuery) then completes the handshake. From then on the
 * connections take turns (embedded-turns.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import { MessageFrames, Turns } from "./embedded-turns.js";

export interface PasswordGateOptions {
  /** Where PGlite listens (a Unix socket path). */
  upstreamPath: string;
  user: string;
  password: string;
  host: string;
  port: number;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
// A start-up packet is small; anything larger is not a Postgres client.
const MAX_STARTUP_BYTES = 10_000;

export interface PasswordGate {
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

export async function startPasswordGate(options: PasswordGateOptions): Promise<PasswordGate> {
  const open = new Set<Socket>();
  const turns = new Turns();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
    handshake(socket, options, turns).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}

/** Reads exactly what the handshake needs, buffering whatever the client sent beyond it. */
class Reader {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private ended = false;

  constructor(private readonly socket: Socket) {
    socket.on("data", this.onData);
    socket.once("close", () => {
      this.ended = true;
      this.waiting?.();
    });
  }

  private readonly onData = (chunk: Buffer) => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    if (this.buffered.length > MAX_STARTUP_BYTES) this.socket.destroy();
    this.waiting?.();
  };

  async take(bytes: number): Promise<Buffer> {
    while (this.buffered.length < bytes) {
      if (this.ended) throw new Error("client went away during the handshake");
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
      this.waiting = undefined;
    }
    const taken = this.buffered.subarray(0, bytes);
    this.buffered = this.buffered.subarray(bytes);
    return taken;
  }

  /** Stops reading and hands back what was read ahead. */
  release(): Buffer {
    this.socket.off("data", this.onData);
    this.socket.pause();
    return this.buffered;
  }
}

async function handshake(socket: Socket, options: PasswordGateOptions, turns: Turns): Promise<void> {
  const reader = new Reader(socket);
  let startup: Buffer;
  for (;;) {
    const head = await reader.take(8);
    const length = head.readInt32BE(0);
    const code = head.readInt32BE(4);
    if (length < 8 || length > MAX_STARTUP_BYTES) throw new Error("not a start-up packet");
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      socket.write("N"); // no encryption on loopback; the client goes on in plain text
      continue;
    }
    if (code === CANCEL_REQUEST || code !== PROTOCOL_3) throw new Error("unsupported request");
    startup = Buffer.concat([head, await reader.take(length - 8)]);
    break;
  }
  const user = startupParameters(startup).get("user") ?? "";
  const salt = randomBytes(4);
  socket.write(message("R", Buffer.concat([int32(5), salt])));
  const type = (await reader.take(1)).toString("latin1");
  const length = (await reader.take(4)).readInt32BE(0);
  if (type !== "p" || length < 5 || length > MAX_STARTUP_BYTES) throw new Error("expected a password");
  const answer = (await reader.take(length - 4)).toString("utf8").replace(/\0$/, "");
  const expected = `md5${md5(Buffer.concat([Buffer.from(md5(options.password + options.user)), salt]))}`;
  if (user !== options.user || !sameText(answer, expected)) {
    socket.end(authenticationFailed(user));
    return;
  }
  const upstream = connect(options.upstreamPath);
  upstream.on("error", () => socket.destroy());
  upstream.on("close", () => socket.destroy());
  // Until the turns own the upstream (below), a client that leaves takes it along.
  const leave = () => upstream.destroy();
  socket.once("close", leave);
  await new Promise<void>((resolve, reject) => {
    upstream.once("connect", resolve).once("error", reject);
  });
  const ahead = reader.release();
  // PGlite's own start-up answer ends in ReadyForQuery, which the turns do not count: sent outside them.
  const ready = await startUp(upstream, startup);
  socket.write(ready);
  socket.off("close", leave);
  if (socket.destroyed) upstream.destroy();
  else turns.pipe(socket, upstream, ahead);
}

/** Sends the start-up packet and returns PGlite's answer up to and including its ReadyForQuery. */
function startUp(upstream: Socket, startup: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let done = false;
    const frames = new MessageFrames((type) => {
      if (type === "Z") done = true;
    });
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      frames.push(chunk);
      if (!done) return;
      upstream.off("data", onData).off("close", onClose);
      resolve(Buffer.concat(chunks));
    };
    const onClose = () => reject(new Error("the database closed the connection during start-up"));
    upstream.on("data", onData).once("close", onClose);
    upstream.write(startup);
  });
}

function startupParameters(packet: Buffer): Map<string, string> {
  const fields = packet.subarray(8).toString("utf8").split("\0");
  const parameters = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i]) parameters.set(fields[i] as string, fields[i + 1] as string);
  }
  return parameters;
}

const md5 = (value: string | Buffer) => createHash("md5").update(value).digest("hex");

function sameText(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

function message(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type, "latin1"), int32(body.length + 4), body]);
}

/** What PostgreSQL answers a wrong password with (SQLSTATE 28P01). */
function authenticationFailed(user: string): Buffer {
  const field = (code: string, value: string) => Buffer.from(`${code}${value}\0`, "utf8");
  return message(
    "E",
    Buffer.concat([
      field("S", "FATAL"),
      field("V", "FATAL"),
      field("C", "28P01"),
      field("M", `password authentication failed for user "${user}"`),
      Buffer.from([0]),
    ]),
  );
}
