import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("reads OUTBOX_RELAY_TOPICS as a list; unset means every topic, empty means none", () => {
    expect(loadConfig({ HOME: "/h" }).OUTBOX_RELAY_TOPICS).toBeUndefined();
    expect(loadConfig({ HOME: "/h", OUTBOX_RELAY_TOPICS: "" }).OUTBOX_RELAY_TOPICS).toEqual([]);
    expect(
      loadConfig({ HOME: "/h", OUTBOX_RELAY_TOPICS: "task-events, task-recurrence" }).OUTBOX_RELAY_TOPICS,
    ).toEqual(["task-events", "task-recurrence"]);
  });

  it("treats any other empty value as unset", () => {
    expect(loadConfig({ HOME: "/h", PORT: "" }).PORT).toBe(3000);
  });
});
