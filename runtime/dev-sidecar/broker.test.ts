import { describe, expect, it } from "vitest";
import { Broker } from "./broker.js";
import { Tracker } from "./tracker.js";

describe("the broker's published log", () => {
  it("keeps the newest messages only, so a long-running sidecar does not grow without bound", () => {
    const broker = new Broker(new Tracker(), () => 1, 1, 100);
    for (let n = 0; n < 250; n++) {
      broker.publish({ pubsub: "pubsub", topic: "t", body: Buffer.from(String(n)), metadata: {} });
    }
    expect(broker.published.length).toBeLessThanOrEqual(100);
    expect(broker.published.at(-1)?.body).toBe("249");
    // In publish order, with no gap among those kept.
    const kept = broker.published.map((message) => Number(message.body));
    expect(kept).toEqual(kept.map((_, i) => (kept[0] as number) + i));
  });
});
