import { describe, expect, it } from "vitest";
import { interpretBulk, interpretSingle } from "./outcome.js";

describe("single delivery answers (contract §3.4)", () => {
  it.each([
    [undefined, "", "retry"], // connection error / timeout
    [200, "", "ack"],
    [204, "", "ack"],
    [200, "not json", "ack"],
    [200, '{"status":true}', "ack"], // decode error → success
    [200, "[1,2]", "ack"],
    [200, '"SUCCESS"', "ack"],
    [200, "null", "ack"],
    [200, '{"status":"SUCCESS"}', "ack"],
    [200, '{"status":""}', "ack"],
    [200, "{}", "ack"],
    [200, '{"Status":"RETRY"}', "retry"], // Go matches field names case-insensitively
    [200, '{"status":"RETRY"}', "retry"],
    [200, '{"status":"DROP"}', "drop"],
    [200, '{"status":"success"}', "retry"], // statuses are case-sensitive: unknown
    [200, '{"status":"ERROR"}', "retry"],
    [404, '{"status":"SUCCESS"}', "drop"],
    [400, "", "retry"],
    [409, "", "retry"],
    [429, "", "retry"],
    [500, '{"status":"SUCCESS"}', "retry"],
    [503, "", "retry"],
    [302, "", "retry"],
  ])("%s %s → %s", (status, body, outcome) => {
    expect(interpretSingle(status, body).outcome).toBe(outcome);
  });
});

describe("bulk delivery answers (contract §4)", () => {
  const ids = ["a", "b", "c", "d", "e"];
  const outcomes = (status: number | undefined, body: unknown) =>
    Object.fromEntries(
      [...interpretBulk(status, typeof body === "string" ? body : JSON.stringify(body), ids)].map(
        ([id, v]) => [id, v.outcome],
      ),
    );

  it("reads each entry's status; empty, unknown and missing statuses are retried", () => {
    const body = {
      statuses: [
        { entryId: "a", status: "SUCCESS" },
        { entryId: "b", status: "DROP" },
        { entryId: "c", status: "RETRY" },
        { entryId: "d", status: "" },
        { entryId: "zzz", status: "SUCCESS" },
      ],
    };
    expect(outcomes(200, body)).toEqual({ a: "ack", b: "drop", c: "retry", d: "retry", e: "retry" });
  });

  it("retries everything without statuses, on a non-JSON body, on errors", () => {
    const allRetry = { a: "retry", b: "retry", c: "retry", d: "retry", e: "retry" };
    expect(outcomes(200, { status: "SUCCESS" })).toEqual(allRetry);
    expect(outcomes(200, "ok")).toEqual(allRetry);
    expect(outcomes(200, { statuses: "SUCCESS" })).toEqual(allRetry);
    expect(outcomes(500, { statuses: [{ entryId: "a", status: "SUCCESS" }] })).toEqual(allRetry);
    expect(outcomes(undefined, "")).toEqual(allRetry);
  });

  it("drops the whole batch on 404", () => {
    expect(outcomes(404, "")).toEqual({ a: "drop", b: "drop", c: "drop", d: "drop", e: "drop" });
  });
});
