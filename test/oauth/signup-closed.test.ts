/**
 * SIGNUP=closed, as in production: only existing users sign in. An unknown address gets an email that
 * says so (the page does not tell who has an account), no code it sends can work, and no user is made.
 */
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, findUserByEmail } from "../../functions/_shared/auth/tokens.js";
import { oauthSettingsFrom } from "../../functions/_shared/oauth/settings.js";
import { loadConfig } from "../../runtime/config.js";
import { useTestDb } from "../support/db.js";
import { parseMail } from "../support/smtp.js";
import { Browser, formFields, lastCode, type OAuthStack, startOAuthStack } from "./_harness.js";

const db = useTestDb("oauth-signup-closed");
let stack: OAuthStack;
const REDIRECT = "http://127.0.0.1:47555/cb";

beforeAll(async () => {
  stack = await startOAuthStack(db, { SIGNUP: "closed" });
});
afterAll(async () => {
  await stack?.close();
});

async function startSignIn() {
  const registered = await fetch(`${stack.url}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "Closed",
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: "none",
    }),
  });
  const { client_id } = (await registered.json()) as { client_id: string };
  const params = new URLSearchParams({
    response_type: "code",
    client_id,
    redirect_uri: REDIRECT,
    state: "s",
    code_challenge: createHash("sha256").update(randomBytes(32).toString("base64url")).digest("base64url"),
    code_challenge_method: "S256",
  });
  const browser = new Browser();
  const start = await browser.get(`${stack.url}/oauth/authorize?${params}`);
  const fields = formFields(await (await browser.get(`${stack.url}${start.headers.get("location")}`)).text());
  return { browser, fields };
}

describe("closed sign-up", () => {
  it("tells an unknown address by email, not on the page, and creates no user", async () => {
    const { browser, fields } = await startSignIn();
    const sent = await browser.post(`${stack.url}/oauth/sign-in/email`, {
      ...fields,
      email: "stranger@example.com",
    });
    expect(sent.status).toBe(303);
    const mail = stack.smtp.received.find((m) => m.to.includes("stranger@example.com"));
    const text = parseMail(mail?.raw ?? "").text;
    expect(text).toContain("no account");
    expect(text).not.toMatch(/\d{6}/);
    for (const code of ["000000", "123456"]) {
      const answer = await browser.post(`${stack.url}/oauth/sign-in/code`, { ...fields, code });
      expect(answer.status).toBe(400);
    }
    expect(await findUserByEmail(db.sql, "stranger@example.com")).toBeUndefined();
  });

  it("lets an existing user in", async () => {
    await createUser(db.sql, { email: "member@example.com" });
    const { browser, fields } = await startSignIn();
    await browser.post(`${stack.url}/oauth/sign-in/email`, { ...fields, email: "member@example.com" });
    const checked = await browser.post(`${stack.url}/oauth/sign-in/code`, {
      ...fields,
      code: lastCode(stack.smtp, "member@example.com"),
    });
    expect(checked.headers.get("location")).toContain("/oauth/consent");
  });
});

describe("production is detected", () => {
  it("from an https PUBLIC_URL or NODE_ENV=production: sign-up closed unless SIGNUP says open", () => {
    const local = oauthSettingsFrom(loadConfig({ PORT: "4100" }));
    expect(local).toMatchObject({
      publicUrl: "http://127.0.0.1:4100",
      resource: "http://127.0.0.1:4100/mcp",
      production: false,
      signup: "open",
    });
    const https = oauthSettingsFrom(loadConfig({ PUBLIC_URL: "https://tasks.example.com/" }));
    expect(https).toMatchObject({
      issuer: "https://tasks.example.com",
      resourceMetadataUrl: "https://tasks.example.com/.well-known/oauth-protected-resource/mcp",
      production: true,
      signup: "closed",
    });
    expect(oauthSettingsFrom(loadConfig({ NODE_ENV: "production" })).signup).toBe("closed");
    expect(oauthSettingsFrom(loadConfig({ NODE_ENV: "production", SIGNUP: "open" })).signup).toBe("open");
    expect(() => loadConfig({ PUBLIC_URL: "https://tasks.example.com/app" })).toThrow(/origin/);
  });
});
