import { createHash } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { useTestDb } from "../../../test/support/db.js";
import { authenticate, createUser, findUserByEmail, issueToken, UserError } from "./tokens.js";

const db = useTestDb("auth-tokens");

describe("createUser", () => {
  it("stores a lowercased email, a canonical zone and the default reminder", async () => {
    const user = await createUser(db.sql, {
      email: "  Ada@Example.COM ",
      displayName: " Ada ",
      timeZone: "europe/paris",
    });
    expect(user).toMatchObject({
      email: "ada@example.com",
      displayName: "Ada",
      timeZone: "Europe/Paris",
      defaultReminderMinutes: 60,
    });
    expect(await findUserByEmail(db.sql, "ADA@example.com")).toEqual(user);
    expect(await findUserByEmail(db.sql, "nobody@example.com")).toBeUndefined();
  });

  it("defaults to UTC", async () => {
    expect((await createUser(db.sql, { email: "utc@example.com" })).timeZone).toBe("UTC");
  });

  it("refuses a duplicate email whatever its case", async () => {
    await createUser(db.sql, { email: "dup@example.com" });
    const error = await createUser(db.sql, { email: "DUP@example.com" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: "EMAIL_TAKEN", message: expect.stringContaining("dup@example.com") });
  });

  it.each(["Mars/Olympus", "+01:00", ""])("refuses the time zone %j", async (timeZone) => {
    await expect(
      createUser(db.sql, { email: `tz${timeZone.length}@example.com`, timeZone }),
    ).rejects.toMatchObject({
      code: "INVALID_TIME_ZONE",
      message: expect.stringContaining("IANA"),
    });
  });

  it("refuses an offset even where Intl takes one as a zone (Node ≥ 22), as PostgreSQL would invert it", async () => {
    const RealFormat = Intl.DateTimeFormat;
    // Node 20's Intl refuses "+01:00" itself; this stands in for a newer one that accepts it.
    const spy = vi.spyOn(Intl, "DateTimeFormat").mockImplementation(((
      locale?: Intl.LocalesArgument,
      options?: Intl.DateTimeFormatOptions,
    ) => {
      if (options?.timeZone === "+01:00") return { resolvedOptions: () => ({ timeZone: "+01:00" }) };
      return new RealFormat(locale, options);
    }) as unknown as typeof Intl.DateTimeFormat);
    try {
      await expect(
        createUser(db.sql, { email: "offset@example.com", timeZone: "+01:00" }),
      ).rejects.toMatchObject({ code: "INVALID_TIME_ZONE", message: expect.stringContaining("IANA") });
    } finally {
      spy.mockRestore();
    }
  });

  it("refuses a malformed email and an overlong display name", async () => {
    await expect(createUser(db.sql, { email: "not-an-email" })).rejects.toMatchObject({
      code: "INVALID_EMAIL",
    });
    await expect(
      createUser(db.sql, { email: "long@example.com", displayName: "x".repeat(101) }),
    ).rejects.toMatchObject({ code: "INVALID_DISPLAY_NAME" });
  });
});

describe("tokens", () => {
  it("issues a prefixed random token, stores only its digest and authenticates with it", async () => {
    const user = await createUser(db.sql, { email: "tok@example.com" });
    const token = await issueToken(db.sql, user.id, "laptop");
    expect(token).toMatch(/^tb_[A-Za-z0-9_-]{43}$/);
    expect(await issueToken(db.sql, user.id)).not.toBe(token);

    const rows = await db.sql<{ token_hash: Buffer; label: string | null }[]>`
      select token_hash, label from api_tokens where user_id = ${user.id} order by created_at`;
    expect(rows).toHaveLength(2);
    expect(rows[0]?.label).toBe("laptop");
    expect(rows[0]?.token_hash.equals(createHash("sha256").update(token).digest())).toBe(true);
    expect(rows.some((row) => row.token_hash.toString("utf8").includes(token))).toBe(false);

    expect(await authenticate(db.sql, token)).toEqual(user);
  });

  it("refuses unknown, malformed and revoked tokens", async () => {
    const user = await createUser(db.sql, { email: "revoked@example.com" });
    const token = await issueToken(db.sql, user.id);
    expect(await authenticate(db.sql, `tb_${"A".repeat(43)}`)).toBeUndefined();
    expect(await authenticate(db.sql, "garbage")).toBeUndefined();
    expect(await authenticate(db.sql, `${token} `)).toBeUndefined();
    await db.sql`update api_tokens set revoked_at = now() where user_id = ${user.id}`;
    expect(await authenticate(db.sql, token)).toBeUndefined();
  });

  it("records last use at most once a minute", async () => {
    const user = await createUser(db.sql, { email: "used@example.com" });
    const token = await issueToken(db.sql, user.id);
    const lastUsed = async () =>
      (
        await db.sql<{ last_used_at: Date | null }[]>`
        select last_used_at from api_tokens where user_id = ${user.id}`
      )[0]?.last_used_at;
    expect(await lastUsed()).toBeNull();

    await authenticate(db.sql, token);
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    await authenticate(db.sql, token);
    expect(await lastUsed()).toEqual(first);

    await db.sql`update api_tokens set last_used_at = now() - interval '2 minutes' where user_id = ${user.id}`;
    const stale = await lastUsed();
    await authenticate(db.sql, token);
    expect((await lastUsed())?.getTime()).toBeGreaterThan(stale?.getTime() ?? Number.POSITIVE_INFINITY);
  });
});
