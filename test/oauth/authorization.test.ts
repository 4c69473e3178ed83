/**
 * The OAuth protocol of /mcp over real HTTP, as a client and a person meet it: discovery (RFC 9728,
 * RFC 8414), registration (RFC 7591), the authorization endpoint with PKCE and the sign-in pages
 * (forms posted the way a browser posts them, the code read from a real SMTP server), token, refresh
 * rotation, revocation (RFC 7009), and the bad inputs each refused with a clear OAuth error.
 */
import { createHash, randomBytes } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, issueToken } from "../../functions/_shared/auth/tokens.js";
import { useTestDb } from "../support/db.js";
import { Browser, formFields, lastCode, type OAuthStack, startOAuthStack } from "./_harness.js";

const db = useTestDb("oauth-authorization");
let stack: OAuthStack;

beforeAll(async () => {
  stack = await startOAuthStack(db);
});
afterAll(async () => {
  await stack?.close();
});

const REDIRECT = "http://127.0.0.1:43123/callback";

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

async function register(metadata: Record<string, unknown> = {}) {
  const response = await fetch(`${stack.url}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "Test Assistant",
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      ...metadata,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

async function token(fields: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string | number> };
}

function authorizeUrl(clientId: string, challenge: string, extra: Record<string, string> = {}) {
  const params = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    state: "st-123/+=",
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: `${stack.url}/mcp`,
    scope: "tasks",
    ...extra,
  });
  return `${stack.url}/oauth/authorize?${params}`;
}

/** Authorize → sign in by emailed code → consent; the redirect back to the client. */
async function signIn(
  browser: Browser,
  url: string,
  email: string,
  decision: "allow" | "deny" = "allow",
): Promise<URL> {
  const start = await browser.get(url);
  expect(start.status).toBe(303);
  const signInPage = await browser.get(`${stack.url}${start.headers.get("location")}`);
  const fields = formFields(await signInPage.text());
  const sent = await browser.post(`${stack.url}/oauth/sign-in/email`, { ...fields, email });
  expect(sent.status).toBe(303);
  const checked = await browser.post(`${stack.url}/oauth/sign-in/code`, {
    ...fields,
    code: lastCode(stack.smtp, email),
  });
  expect(checked.status).toBe(303);
  const consent = await browser.get(`${stack.url}${checked.headers.get("location")}`);
  const html = await consent.text();
  expect(html).toContain("unverified");
  const answer = await browser.post(`${stack.url}/oauth/consent`, { ...fields, decision });
  expect(answer.status).toBe(303);
  return new URL(answer.headers.get("location") ?? "");
}

async function codeFor(email: string, clientId?: string) {
  const id = clientId ?? (await register()).body.client_id ?? "";
  const { verifier, challenge } = pkce();
  const back = await signIn(new Browser(), authorizeUrl(id, challenge), email);
  return { clientId: id, verifier, code: back.searchParams.get("code") ?? "" };
}

/** A refresh_token grant at the token endpoint (the client is public: its id, no secret). */
const refresh = (clientId: string, refreshToken: string) =>
  token({ grant_type: "refresh_token", client_id: clientId, refresh_token: refreshToken });

async function tokensFor(email: string) {
  const { clientId, verifier, code } = await codeFor(email);
  const answer = await token({
    grant_type: "authorization_code",
    client_id: clientId,
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT,
    resource: `${stack.url}/mcp`,
  });
  expect(answer.status).toBe(200);
  return { clientId, ...(answer.body as { access_token: string; refresh_token: string }) };
}

async function mcpClient(accessToken: string) {
  const client = new Client({ name: "oauth-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${accessToken}` } },
    }),
  );
  return client;
}

const mcpStatus = async (accessToken: string) =>
  (
    await fetch(`${stack.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${accessToken}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    })
  ).status;

describe("resource server", () => {
  it("answers 401 with the resource metadata URL, and invalid_token when a token was sent", async () => {
    const bare = await fetch(`${stack.url}/mcp`, { method: "POST" });
    expect(bare.status).toBe(401);
    const metadataUrl = `${stack.url}/.well-known/oauth-protected-resource/mcp`;
    expect(bare.headers.get("www-authenticate")).toBe(
      `Bearer realm="taskbeat", resource_metadata="${metadataUrl}"`,
    );
    const wrong = await fetch(`${stack.url}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer tba_${"x".repeat(43)}` },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(wrong.headers.get("www-authenticate")).toContain(`resource_metadata="${metadataUrl}"`);
  });

  it("names the resource and its authorization server at both well-known paths", async () => {
    for (const path of [
      "/.well-known/oauth-protected-resource",
      "/.well-known/oauth-protected-resource/mcp",
    ]) {
      const response = await fetch(`${stack.url}${path}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body.resource).toBe(`${stack.url}/mcp`);
      expect(body.authorization_servers).toEqual([stack.url]);
    }
  });

  it("publishes RFC 8414 metadata: S256 only, registration, revocation, metadata documents", async () => {
    const body = (await (
      await fetch(`${stack.url}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      issuer: stack.url,
      authorization_endpoint: `${stack.url}/oauth/authorize`,
      token_endpoint: `${stack.url}/oauth/token`,
      registration_endpoint: `${stack.url}/oauth/register`,
      revocation_endpoint: `${stack.url}/oauth/revoke`,
      code_challenge_methods_supported: ["S256"],
      response_types_supported: ["code"],
      client_id_metadata_document_supported: true,
    });
  });

  it("keeps accepting personal tokens", async () => {
    const user = await createUser(db.sql, { email: "personal@example.com" });
    const client = await mcpClient(await issueToken(db.sql, user.id));
    expect((await client.listTools()).tools.length).toBeGreaterThan(20);
    await client.close();
  });
});

describe("authorization code flow", () => {
  it("signs in by emailed code, and the token works at /mcp; refresh rotates; revocation ends it", async () => {
    const tokens = await tokensFor("ada@example.com");
    expect(tokens.access_token).toMatch(/^tba_/);
    const client = await mcpClient(tokens.access_token);
    const added = await client.callTool({ name: "add_task", arguments: { title: "Water the plants" } });
    expect(added.isError).toBeFalsy();
    const listed = await client.callTool({ name: "list_tasks", arguments: {} });
    expect(JSON.stringify(listed.structuredContent)).toContain("Water the plants");
    await client.close();

    const refreshed = await refresh(tokens.clientId, tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    const next = refreshed.body as { access_token: string; refresh_token: string };
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(await mcpStatus(next.access_token)).toBe(200);

    // The spent refresh token again: someone has a copy, so the whole grant ends.
    const reused = await refresh(tokens.clientId, tokens.refresh_token);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe("invalid_grant");
    expect(await mcpStatus(next.access_token)).toBe(401);
    const afterReuse = await refresh(tokens.clientId, next.refresh_token);
    expect(afterReuse.body.error).toBe("invalid_grant");
  });

  it("revokes (RFC 7009): the access token is refused at once, the refresh token too", async () => {
    const tokens = await tokensFor("grace@example.com");
    expect(await mcpStatus(tokens.access_token)).toBe(200);
    const revoked = await fetch(`${stack.url}/oauth/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: tokens.clientId, token: tokens.refresh_token }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect(await mcpStatus(tokens.access_token)).toBe(401);
    const refreshed = await refresh(tokens.clientId, tokens.refresh_token);
    expect(refreshed.body.error).toBe("invalid_grant");
  });

  it("keeps users apart: A's token never sees B's tasks", async () => {
    const a = await tokensFor("a@example.com");
    const b = await tokensFor("b@example.com");
    const clientB = await mcpClient(b.access_token);
    await clientB.callTool({ name: "add_task", arguments: { title: "B's secret plan" } });
    await clientB.close();
    const clientA = await mcpClient(a.access_token);
    const listed = await clientA.callTool({ name: "list_tasks", arguments: {} });
    expect(JSON.stringify(listed)).not.toContain("B's secret plan");
    const searched = await clientA.callTool({ name: "search_tasks", arguments: { query: "secret" } });
    expect(JSON.stringify(searched)).not.toContain("B's secret plan");
    await clientA.close();
  });

  it("sends Deny back to the client as access_denied, with its state", async () => {
    const { body } = await register();
    const back = await signIn(
      new Browser(),
      authorizeUrl(body.client_id ?? "", pkce().challenge),
      "deny@example.com",
      "deny",
    );
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("state")).toBe("st-123/+=");
    expect(back.searchParams.get("code")).toBeNull();
  });

  it("accepts a loopback redirect at another port (RFC 8252), and returns iss and the exact state", async () => {
    const { body } = await register();
    const { challenge } = pkce();
    const url = authorizeUrl(body.client_id ?? "", challenge, {
      redirect_uri: "http://127.0.0.1:50999/callback",
    });
    const back = await signIn(new Browser(), url, "port@example.com");
    expect(back.origin).toBe("http://127.0.0.1:50999");
    expect(back.searchParams.get("state")).toBe("st-123/+=");
    expect(back.searchParams.get("iss")).toBe(stack.url);
  });
});

describe("bad inputs: a clear OAuth error, nothing issued", () => {
  it("refuses a wrong PKCE verifier", async () => {
    const { clientId, code } = await codeFor("pkce@example.com");
    const answer = await token({
      grant_type: "authorization_code",
      client_id: clientId,
      code,
      code_verifier: pkce().verifier,
      redirect_uri: REDIRECT,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid_grant");
    expect(answer.body.access_token).toBeUndefined();
  });

  it("refuses a reused code and revokes what the first exchange issued", async () => {
    const { clientId, code, verifier } = await codeFor("reuse@example.com");
    const fields = {
      grant_type: "authorization_code",
      client_id: clientId,
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
    };
    const first = await token(fields);
    expect(first.status).toBe(200);
    const second = await token(fields);
    expect(second.body.error).toBe("invalid_grant");
    expect(second.body.access_token).toBeUndefined();
    expect(await mcpStatus(String(first.body.access_token))).toBe(401);
  });

  it("refuses an expired code", async () => {
    const { clientId, code, verifier } = await codeFor("late@example.com");
    await db.sql`update oauth_codes set expires_at = now() - interval '1 second' where used_at is null`;
    const answer = await token({
      grant_type: "authorization_code",
      client_id: clientId,
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
    });
    expect(answer.body).toMatchObject({ error: "invalid_grant" });
    expect(String(answer.body.error_description)).toContain("expired");
  });

  it("refuses an unknown client at authorize (a page, no redirect) and at the token endpoint", async () => {
    const page = await new Browser().get(authorizeUrl("tbk_nobody", pkce().challenge));
    expect(page.status).toBe(400);
    expect(page.headers.get("location")).toBeNull();
    expect(await page.text()).toContain("not registered");
    const answer = await token({
      grant_type: "authorization_code",
      client_id: "tbk_nobody",
      code: "x",
      code_verifier: "y",
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe("invalid_client");
  });

  it("never redirects to an unregistered URI, and refuses a mismatched one at the token endpoint", async () => {
    const { body } = await register();
    const evil = authorizeUrl(body.client_id ?? "", pkce().challenge, {
      redirect_uri: "https://evil.example/cb",
    });
    const page = await new Browser().get(evil);
    expect(page.status).toBe(400);
    expect(page.headers.get("location")).toBeNull();
    const { clientId, code, verifier } = await codeFor("mismatch@example.com");
    const answer = await token({
      grant_type: "authorization_code",
      client_id: clientId,
      code,
      code_verifier: verifier,
      redirect_uri: "http://127.0.0.1:43123/other",
    });
    expect(answer.body.error).toBe("invalid_grant");
  });

  it("redirects protocol errors to the client: no state, no PKCE, plain PKCE, another resource", async () => {
    const { body } = await register();
    const id = body.client_id ?? "";
    const { challenge } = pkce();
    const cases: Array<[Record<string, string>, string]> = [
      [{ state: "" }, "invalid_request"],
      [{ code_challenge: "" }, "invalid_request"],
      [{ code_challenge_method: "plain" }, "invalid_request"],
      [{ response_type: "token" }, "unsupported_response_type"],
      [{ resource: "https://other.example/mcp" }, "invalid_target"],
    ];
    for (const [extra, error] of cases) {
      const answer = await new Browser().get(authorizeUrl(id, challenge, extra));
      expect(answer.status).toBe(303);
      const back = new URL(answer.headers.get("location") ?? "");
      expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
      expect(back.searchParams.get("error")).toBe(error);
    }
  });

  it("refuses a tampered sign-in: wrong CSRF token, another browser, a made-up request", async () => {
    const { body } = await register();
    const browser = new Browser();
    const start = await browser.get(authorizeUrl(body.client_id ?? "", pkce().challenge));
    const fields = formFields(
      await (await browser.get(`${stack.url}${start.headers.get("location")}`)).text(),
    );
    const before = stack.smtp.received.length;
    const forged = await browser.post(`${stack.url}/oauth/sign-in/email`, {
      ...fields,
      csrf: "forged",
      email: "x@example.com",
    });
    expect(forged.status).toBe(403);
    const elsewhere = await new Browser().post(`${stack.url}/oauth/sign-in/email`, {
      ...fields,
      email: "x@example.com",
    });
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain("another browser");
    const invented = await browser.post(`${stack.url}/oauth/consent`, {
      ...fields,
      request: "made-up",
      decision: "allow",
    });
    expect(invented.status).toBe(400);
    expect(stack.smtp.received.length).toBe(before);
  });

  it("refuses a token bound to another resource at /mcp", async () => {
    const tokens = await tokensFor("elsewhere@example.com");
    expect(await mcpStatus(tokens.access_token)).toBe(200);
    // What a token issued for another resource looks like to this one.
    await db.sql`update oauth_grants set resource = 'https://other.example/mcp'
      where client_id = ${tokens.clientId}`;
    expect(await mcpStatus(tokens.access_token)).toBe(401);
  });

  it("refuses registrations with unsafe redirect URIs or unsupported grants", async () => {
    expect((await register({ redirect_uris: ["http://evil.example/cb"] })).body.error).toBe(
      "invalid_redirect_uri",
    );
    expect((await register({ redirect_uris: ["javascript:alert(1)"] })).body.error).toBe(
      "invalid_redirect_uri",
    );
    expect((await register({ redirect_uris: ["https://ok.example/cb#frag"] })).body.error).toBe(
      "invalid_redirect_uri",
    );
    expect((await register({ grant_types: ["implicit"] })).body.error).toBe("invalid_client_metadata");
    expect((await register({ redirect_uris: "nope" })).status).toBe(400);
  });

  it("authenticates confidential clients by their secret", async () => {
    const { body } = await register({ token_endpoint_auth_method: "client_secret_basic" });
    expect(body.client_secret).toMatch(/^tbs_/);
    const { code, verifier } = await codeFor("secret@example.com", body.client_id);
    const base = { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT };
    const wrong = Buffer.from(`${body.client_id}:nope`).toString("base64");
    expect((await token(base, { authorization: `Basic ${wrong}` })).body.error).toBe("invalid_client");
    const right = Buffer.from(`${body.client_id}:${body.client_secret}`).toString("base64");
    expect((await token(base, { authorization: `Basic ${right}` })).status).toBe(200);
  });
});

describe("the emailed code", () => {
  it("allows 5 tries, then not even the right code", async () => {
    const { body } = await register();
    const browser = new Browser();
    const start = await browser.get(authorizeUrl(body.client_id ?? "", pkce().challenge));
    const fields = formFields(
      await (await browser.get(`${stack.url}${start.headers.get("location")}`)).text(),
    );
    await browser.post(`${stack.url}/oauth/sign-in/email`, { ...fields, email: "tries@example.com" });
    const right = lastCode(stack.smtp, "tries@example.com");
    const wrong = right === "000000" ? "111111" : "000000";
    for (let attempt = 1; attempt <= 5; attempt++) {
      const answer = await browser.post(`${stack.url}/oauth/sign-in/code`, { ...fields, code: wrong });
      expect(await answer.text()).toContain(`${5 - attempt} ${5 - attempt === 1 ? "try" : "tries"} left`);
    }
    const late = await browser.post(`${stack.url}/oauth/sign-in/code`, { ...fields, code: right });
    expect(late.status).toBe(400);
    expect(await late.text()).toContain("Too many wrong codes");
  });

  it("expires after 10 minutes and is single-use", async () => {
    const { body } = await register();
    const browser = new Browser();
    const start = await browser.get(authorizeUrl(body.client_id ?? "", pkce().challenge));
    const fields = formFields(
      await (await browser.get(`${stack.url}${start.headers.get("location")}`)).text(),
    );
    await browser.post(`${stack.url}/oauth/sign-in/email`, { ...fields, email: "expiry@example.com" });
    await db.sql`update oauth_requests set code_expires_at = now() - interval '1 second' where id = ${fields.request}`;
    const late = await browser.post(`${stack.url}/oauth/sign-in/code`, {
      ...fields,
      code: lastCode(stack.smtp, "expiry@example.com"),
    });
    expect(await late.text()).toContain("That code has expired");
    await browser.post(`${stack.url}/oauth/sign-in/email`, { ...fields, email: "expiry@example.com" });
    const code = lastCode(stack.smtp, "expiry@example.com");
    expect((await browser.post(`${stack.url}/oauth/sign-in/code`, { ...fields, code })).status).toBe(303);
    const [row] = await db.sql`select code_hash from oauth_requests where id = ${fields.request}`;
    expect(row?.code_hash).toBeNull();
  });

  it("limits how many codes one address gets", async () => {
    const { body } = await register();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const browser = new Browser();
      const start = await browser.get(authorizeUrl(body.client_id ?? "", pkce().challenge));
      const fields = formFields(
        await (await browser.get(`${stack.url}${start.headers.get("location")}`)).text(),
      );
      statuses.push(
        (await browser.post(`${stack.url}/oauth/sign-in/email`, { ...fields, email: "flood@example.com" }))
          .status,
      );
    }
    expect(statuses.slice(0, 5)).toEqual([303, 303, 303, 303, 303]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(stack.smtp.received.filter((m) => m.to.includes("flood@example.com")).length).toBe(5);
  });

  it("lets a local install sign in with a personal token instead", async () => {
    const user = await createUser(db.sql, { email: "local@example.com" });
    const personal = await issueToken(db.sql, user.id);
    const { body } = await register();
    const browser = new Browser();
    const start = await browser.get(authorizeUrl(body.client_id ?? "", pkce().challenge));
    const html = await (await browser.get(`${stack.url}${start.headers.get("location")}`)).text();
    expect(html).toContain('type="email" autocomplete="email"');
    const fields = formFields(html);
    const bad = await browser.post(`${stack.url}/oauth/sign-in/token`, { ...fields, token: "tb_wrong" });
    expect(bad.status).toBe(400);
    const good = await browser.post(`${stack.url}/oauth/sign-in/token`, { ...fields, token: personal });
    expect(good.headers.get("location")).toContain("/oauth/consent");
    const consent = await (await browser.get(`${stack.url}${good.headers.get("location")}`)).text();
    expect(consent).toContain("local@example.com");
    expect(consent).toContain("Test Assistant");
    expect(consent).toContain("127.0.0.1:43123");
  });
});
