/**
 * The local broker's durable log (issue 15 §2): every accepted message is appended and flushed to disk
 * (one flush per publish request) before publish answers, and a line per settled message (acked,
 * dropped or dead-lettered by every subscription) follows it. On start the messages without that line are delivered again, in publish
 * order, so a SIGKILL of `taskbeat start` loses nothing its relay saw accepted: the relay deletes an
 * outbox row once publish answered, exactly as it does in front of daprd and Kafka.
 *
 * Why a file of its own and not a table in the embedded database beside it: PGlite is one database
 * session, which the app's relay holds in a transaction for the whole publish call, so a sidecar writing
 * into it from that call would wait for the relay, which waits for the sidecar. The alternative, the relay
 * deleting outbox rows only after delivery, would tie the relay (which also runs in front of daprd) to
 * this stand-in's delivery and hold back every later event of a task behind an undelivered one. The log
 * is newline-delimited JSON: a torn last line (the process killed mid-write) is skipped, and the message
 * it held was never acknowledged, so its publisher still has it. It is rewritten without the settled
 * messages at open and whenever they make up most of it.
 */
import { closeSync, fdatasyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface JournalEntry {
  /** Publish order across all topics; also the message's key in this log. */
  seq: number;
  pubsub: string;
  topic: string;
  /** base64 of the exact bytes. */
  body: string;
  metadata: Record<string, string>;
  contentType?: string;
  partition: number;
  offset: number;
  timestamp: number;
}

type Line = { message: JournalEntry } | { settled: number };

/** Rewrite once this many settled messages are in the file and they outnumber the pending ones. */
const COMPACT_AFTER = 5_000;

export class BrokerJournal {
  #fd: number;
  readonly #path: string;
  /** The lines of messages not yet settled, by seq, as written. */
  readonly #pending = new Map<number, string>();
  #settledInFile = 0;
  #nextSeq = 0;
  #unflushed = false;

  private constructor(path: string) {
    this.#path = path;
    this.#fd = -1;
  }

  /** Opens (or creates) the log, reads what is pending, and rewrites the file with only that. */
  static open(path: string): { journal: BrokerJournal; pending: JournalEntry[] } {
    mkdirSync(dirname(path), { recursive: true });
    const journal = new BrokerJournal(path);
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const entries = new Map<number, JournalEntry>();
    for (const raw of text.split("\n")) {
      if (raw === "") continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue; // torn by a crash mid-write: its publish was never answered
      }
      if ("message" in line) {
        entries.set(line.message.seq, line.message);
        journal.#nextSeq = Math.max(journal.#nextSeq, line.message.seq + 1);
      } else entries.delete(line.settled);
    }
    const pending = [...entries.values()].sort((a, b) => a.seq - b.seq);
    for (const entry of pending) journal.#pending.set(entry.seq, JSON.stringify({ message: entry }));
    journal.#rewrite();
    return { journal, pending };
  }

  /** The next message's seq. */
  nextSeq(): number {
    return this.#nextSeq++;
  }

  /** Written; durable once `flush()` returned, which a publish request calls once for all its entries. */
  append(entry: JournalEntry): void {
    const line = JSON.stringify({ message: entry });
    this.#pending.set(entry.seq, line);
    this.#write(`${line}\n`);
    this.#unflushed = true;
  }

  /** Flushes what was appended to disk, so the publish may be answered. */
  flush(): void {
    if (!this.#unflushed || this.#fd < 0) return;
    fdatasyncSync(this.#fd);
    this.#unflushed = false;
  }

  /**
   * Not flushed: a settlement lost with the machine means one more delivery, which consumers tolerate
   * (at-least-once); a process crash loses nothing the kernel already has.
   */
  settled(seq: number): void {
    if (!this.#pending.delete(seq)) return;
    this.#write(`${JSON.stringify({ settled: seq })}\n`);
    this.#settledInFile++;
    if (this.#settledInFile >= COMPACT_AFTER && this.#settledInFile > this.#pending.size) this.#rewrite();
  }

  close(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    this.#fd = -1;
  }

  #write(text: string): void {
    if (this.#fd < 0) throw new Error("broker journal is closed");
    writeSync(this.#fd, text);
  }

  /** Writes the pending lines to a new file, flushed, and swaps it in (rename is atomic). */
  #rewrite(): void {
    const next = `${this.#path}.next`;
    const fd = openSync(next, "w");
    try {
      const lines = [...this.#pending.values()];
      if (lines.length > 0) writeSync(fd, `${lines.join("\n")}\n`);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(next, this.#path);
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = openSync(this.#path, "a");
    this.#settledInFile = 0;
  }
}
