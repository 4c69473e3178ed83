/**
 * Gathers reminder deliveries that arrive while others are in flight into shared batches
 * (deliverReminders: one transaction, one lock statement, one write, mails sent side by side). The
 * email handler gets one event per call, but the sidecar has several deliveries in flight (bulk
 * requests, partitions, replicas of the sender), and mailing each in its own transaction spent a
 * pooled database connection per mail and most of the handler's time in round trips.
 *
 * Nothing waits to fill a batch: a request starts at once when a batch slot is free, and those that
 * come while every slot is busy go together in the next one. Each caller gets its own reminder's
 * outcome; if the batch's transaction fails, every caller in it gets the error (Dapr redelivers).
 */
import type { Sql } from "postgres";
import type { Mailer } from "./mailer.js";
import { deliverReminders, type ReminderDelivery, type ReminderRequest } from "./reminder-delivery.js";

export interface ReminderBatcherOptions {
  /** Most reminders per transaction (their locks are held until the slowest mail is sent). Default 50. */
  maxBatch?: number;
  /** Batches in flight at once, i.e. database connections held. Default 2. */
  maxInFlight?: number;
  /** What runs a batch; deliverReminders unless a test watches the batches. */
  deliver?: typeof deliverReminders;
}

interface Waiting {
  sql: Sql;
  mailer: Mailer;
  request: ReminderRequest;
  resolve(delivery: ReminderDelivery): void;
  reject(error: unknown): void;
}

export class ReminderBatcher {
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #deliver: typeof deliverReminders;
  #waiting: Waiting[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(options: ReminderBatcherOptions = {}) {
    this.#maxBatch = options.maxBatch ?? 50;
    this.#maxInFlight = options.maxInFlight ?? 2;
    this.#deliver = options.deliver ?? deliverReminders;
  }

  deliver(sql: Sql, mailer: Mailer, request: ReminderRequest): Promise<ReminderDelivery> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ sql, mailer, request, resolve, reject });
      // Requests that arrive in the same turn of the event loop start together.
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#start();
        });
      }
    });
  }

  #start(): void {
    while (this.#inFlight < this.#maxInFlight && this.#waiting.length > 0) {
      const batch = this.#take();
      this.#inFlight++;
      const first = batch[0] as Waiting;
      this.#deliver(
        first.sql,
        first.mailer,
        batch.map((w) => w.request),
      )
        .then(
          (deliveries) => {
            for (const [i, w] of batch.entries()) w.resolve(deliveries[i] as ReminderDelivery);
          },
          (error: unknown) => {
            for (const w of batch) w.reject(error);
          },
        )
        .finally(() => {
          this.#inFlight--;
          this.#start();
        });
    }
  }

  /** The oldest waiting request and those after it that use the same database and mailer. */
  #take(): Waiting[] {
    const first = this.#waiting[0] as Waiting;
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    for (const w of this.#waiting) {
      if (batch.length < this.#maxBatch && w.sql === first.sql && w.mailer === first.mailer) batch.push(w);
      else rest.push(w);
    }
    this.#waiting = rest;
    return batch;
  }
}
