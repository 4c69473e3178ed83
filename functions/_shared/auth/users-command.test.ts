import { describe, expect, it } from "vitest";
import { runCli } from "../../../test/support/cli.js";
import { useTestDb } from "../../../test/support/db.js";
import { authenticate } from "./tokens.js";

const db = useTestDb("users-command");

const taskbeat = (...args: string[]) =>
  runCli(["users", ...args], { DATABASE_URL: db.url, ...(db.embedded ? { DATABASE_POOL_MAX: "1" } : {}) });

const lastLine = (text: string) => text.trimEnd().split("\n").at(-1) ?? "";

describe("taskbeat users list / revoke", () => {
  it("lists users with their tokens' labels and last use, and revokes one token by label or all", async () => {
    const created = await taskbeat(
      "create",
      "--email",
      "grace@example.com",
      "--name",
      "Grace",
      "--tz",
      "Europe/Oslo",
    );
    expect(created.code).toBe(0);
    const first = lastLine(created.stdout);
    const laptop = lastLine((await taskbeat("token", "grace@example.com", "--label", "laptop")).stdout);
    const phone = lastLine((await taskbeat("token", "grace@example.com", "--label", "phone")).stdout);
    expect(await authenticate(db.sql, laptop)).toBeDefined();

    const listed = await taskbeat("list");
    expect(listed.code).toBe(0);
    const lines = listed.stdout.split("\n");
    const at = lines.findIndex((line) => line.startsWith("grace@example.com"));
    expect(lines[at]).toBe("grace@example.com (Grace)  Europe/Oslo  3 live tokens");
    expect(lines[at + 1]).toMatch(
      /^ {2}\(no label\) {2}issued \d{4}-\d\d-\d\d \d\d:\d\d UTC {2}last used never$/,
    );
    expect(lines[at + 2]).toMatch(/^ {2}laptop {2}issued .* UTC {2}last used \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(lines[at + 3]).toMatch(/^ {2}phone {2}issued .* UTC {2}last used never$/);

    const one = await taskbeat("revoke", "grace@example.com", "--label", "laptop");
    expect(one.code).toBe(0);
    expect(one.stderr).toMatch(/Revoked 1 token of grace@example.com: "laptop"/);
    expect(await authenticate(db.sql, laptop)).toBeUndefined();
    expect(await authenticate(db.sql, phone)).toBeDefined();
    expect((await taskbeat("list")).stdout).toMatch(
      / {2}laptop {2}issued .* revoked \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
    );

    const typo = await taskbeat("revoke", "grace@example.com", "--label", "laptpo");
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(/no live token labelled "laptpo"; its live tokens: \(no label\), "phone"/);

    const all = await taskbeat("revoke", "GRACE@example.com");
    expect(all.code).toBe(0);
    expect(all.stderr).toMatch(/Revoked 2 tokens of grace@example.com/);
    for (const token of [first, phone]) expect(await authenticate(db.sql, token)).toBeUndefined();
    expect((await taskbeat("list")).stdout).toMatch(
      /grace@example.com \(Grace\) {2}Europe\/Oslo {2}0 live tokens/,
    );
  }, 180_000);

  it("refuses an unknown user, a stray argument and an abbreviated zone with a sentence", async () => {
    const nobody = await taskbeat("revoke", "nobody@example.com");
    expect(nobody.code).not.toBe(0);
    expect(nobody.stderr).toMatch(/no user with the email nobody@example.com/);
    expect((await taskbeat("list", "extra")).code).toBe(2);
    expect((await taskbeat("revoke")).code).toBe(2);
    const est = await taskbeat("create", "--email", "est@example.com", "--tz", "EST");
    expect(est.code).not.toBe(0);
    expect(est.stderr).toMatch(/EST is an abbreviation.*America\/New_York/);
  }, 120_000);
});
