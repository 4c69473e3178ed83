/**
 * The durable local broker (issue 15 §2): with a journal, a message the sidecar accepted survives the
 * sidecar's end before it was delivered (here: the app answers RETRY until the sidecar is gone, and the
 * sidecar is dropped without close(), as a SIGKILL leaves it), and the next sidecar on the same journal
 * delivers it, in each partition's order, once; a delivered message is not delivered again.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bodyOf, type FixtureApp, startFixtureApp } from "../../test/support/fixture-app.js";
import { silentLogger } from "../log.js";
import { BrokerJournal } from "./journal.js";
import { type LocalSidecar, startSidecar } from "./sidecar.js";

const subscriptions = [{ pubsubname: "pubsub", topic: "orders", routes: { default: "/orders" } }];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), "taskbeat-journal-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return join(dir, "broker", "journal.ndjson");
}

async function sidecarFor(app: FixtureApp, journalPath: string): Promise<LocalSidecar> {
  const sidecar = await startSidecar({
    appUrl: app.url,
    log: silentLogger,
    journalPath,
    retry: { maxAttempts: 2, initialIntervalMs: 5, maxIntervalMs: 10 },
    redeliverAfterMs: 50,
    concurrency: 2,
  });
  cleanups.push(() => sidecar.close());
  await sidecar.ready();
  return sidecar;
}

const publish = (sidecar: LocalSidecar, key: string, n: number) =>
  fetch(`${sidecar.url}/v1.0/publish/pubsub/orders?metadata.partitionKey=${key}`, {
    method: "POST",
    headers: { "content-type": "application/cloudevents+json" },
    body: JSON.stringify({
      id: `${key}-${n}`,
      source: "test",
      type: "t",
      specversion: "1.0",
      data: { key, n },
    }),
  });

describe("the local broker's journal", () => {
  it("keeps accepted, undelivered messages across a sidecar that died, and the next one delivers them in order, once", async () => {
    const journalPath = await setup();
    const down = await startFixtureApp({ subscriptions, respond: () => ({ body: { status: "RETRY" } }) });
    cleanups.push(() => down.close());
    const first = await sidecarFor(down, journalPath);
    for (let n = 0; n < 5; n++)
      for (const key of ["a", "b", "c"]) expect((await publish(first, key, n)).status).toBe(204);
    await down.waitFor((r) => r.length >= 3);
    // No close(): its timers and state are simply abandoned, as a SIGKILL leaves them. Its app stops answering.
    down.respond = () => ({ destroy: true });

    const up = await startFixtureApp({ subscriptions });
    cleanups.push(() => up.close());
    const second = await sidecarFor(up, journalPath);
    await second.idle(5_000);
    const seen = up.received.map((r) => bodyOf<{ data: { key: string; n: number } }>(r).data);
    expect(seen).toHaveLength(15);
    for (const key of ["a", "b", "c"]) {
      expect(seen.filter((d) => d.key === key).map((d) => d.n)).toEqual([0, 1, 2, 3, 4]);
    }
    // New messages take the offsets after the recovered ones.
    expect((await publish(second, "a", 5)).status).toBe(204);
    await second.idle(5_000);
    const offsets = up.received
      .filter((r) => bodyOf<{ data: { key: string } }>(r).data.key === "a")
      .map((r) => Number(r.headers.__offset));
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    expect(new Set(offsets).size).toBe(6);

    await second.close();
    // Everything was delivered: a third start has nothing to deliver again.
    const { journal, pending } = BrokerJournal.open(journalPath);
    journal.close();
    expect(pending).toEqual([]);
    await first.close();
  });

  it("a message delivered before the end is not delivered again; a torn last line is skipped", async () => {
    const journalPath = await setup();
    const app = await startFixtureApp({ subscriptions });
    cleanups.push(() => app.close());
    const first = await sidecarFor(app, journalPath);
    expect((await publish(first, "k", 0)).status).toBe(204);
    await first.idle(5_000);
    await first.close();
    // A crash in the middle of an append leaves half a line.
    const { appendFile } = await import("node:fs/promises");
    await appendFile(journalPath, '{"message":{"seq":99,"pubsub":"pu');
    app.received.length = 0;
    const second = await sidecarFor(app, journalPath);
    await second.idle(5_000);
    expect(app.received).toEqual([]);
    expect(await readFile(journalPath, "utf8")).toBe("");
  });
});
