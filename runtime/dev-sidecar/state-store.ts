/**
 * An in-memory state store with the semantics of the production store, PostgreSQL v2 (contract §6):
 * UUID etags; an etag, when given, must match (also with last-write); first-write without an etag
 * only inserts. Every write is a list of operations applied atomically, so a multi-item save and a
 * transaction either apply entirely or not at all.
 */
import { randomUUID } from "node:crypto";

export interface StoredItem {
  /** The stored value as JSON text: what GET returns byte for byte. */
  value: string;
  etag: string;
  contentType?: string;
  expiresAt?: number;
}

export type Concurrency = "first-write" | "last-write";

export type StateOperation =
  | {
      kind: "upsert";
      key: string;
      value: string;
      etag?: string;
      concurrency?: Concurrency;
      ttlMs?: number;
      contentType?: string;
    }
  | { kind: "delete"; key: string; etag?: string };

/** The given etag does not match the stored one (or the key does not exist): 409 outside transactions. */
export class EtagMismatchError extends Error {}

/** Any other store failure, e.g. first-write without etag on an existing key ("no item was updated"). */
export class StoreError extends Error {}

export class StateStore {
  private readonly items = new Map<string, StoredItem>();

  get(key: string, now = Date.now()): StoredItem | undefined {
    const item = this.items.get(key);
    if (item?.expiresAt !== undefined && item.expiresAt <= now) {
      this.items.delete(key);
      return undefined;
    }
    return item;
  }

  /** Checks every operation against the state as earlier operations leave it, then applies them all. */
  apply(operations: readonly StateOperation[], now = Date.now()): void {
    const staged = new Map<string, StoredItem | undefined>();
    const view = (key: string) => (staged.has(key) ? staged.get(key) : this.get(key, now));
    for (const op of operations) {
      const current = view(op.key);
      if (op.etag !== undefined) {
        if (!current || current.etag !== op.etag)
          throw new EtagMismatchError(`possible etag mismatch for key ${op.key}`);
      } else if (op.kind === "upsert" && op.concurrency === "first-write" && current) {
        throw new StoreError(`no item was updated for key ${op.key}`);
      }
      if (op.kind === "delete") {
        staged.set(op.key, undefined);
        continue;
      }
      const item: StoredItem = { value: op.value, etag: randomUUID() };
      if (op.contentType !== undefined) item.contentType = op.contentType;
      if (op.ttlMs !== undefined) item.expiresAt = now + op.ttlMs;
      staged.set(op.key, item);
    }
    for (const [key, item] of staged) {
      if (item) this.items.set(key, item);
      else this.items.delete(key);
    }
  }
}
