/**
 * End to end as a web assistant connects: the official MCP SDK client with its own OAuth support
 * (`@modelcontextprotocol/sdk/client/auth.js` through an `OAuthClientProvider`) meets a 401, reads the
 * protected-resource and authorization-server metadata, registers itself (DCR), sends a person to the
 * sign-in page with PKCE, and a real Chromium fills it in: email, the code from the SMTP sink, Allow.
 * The SDK then exchanges the code, lists and calls tools, refreshes when the access token has expired;
 * a reused refresh token is refused, and after revocation /mcp answers 401.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  discoverAuthorizationServerMetadata,
  type OAuthClientProvider,
  refreshAuthorization,
  UnauthorizedError,
} from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../support/db.js";
import { browserNote, CHROMIUM, CHROMIUM_ARGS, chromiumMissing, skipBrowser } from "./_chromium.js";
import { lastCode, type OAuthStack, startOAuthStack } from "./_harness.js";

const db = useTestDb("oauth-sdk-browser");

/** A native app's loopback redirect: records what the authorization server sends back. */
async function startCallback(): Promise<{ url: string; next: () => Promise<URL>; server: Server }> {
  let deliver: ((url: URL) => void) | undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    res.writeHead(200, { "content-type": "text/html" }).end("<p>You can close this window.</p>");
    if (url.pathname === "/callback") deliver?.(url);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    next: () => new Promise<URL>((resolve) => (deliver = resolve)),
    server,
  };
}

/** What an assistant keeps per server: its registration, tokens, PKCE verifier and state. */
class TestProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  sentState = "";
  authorizationUrl: URL | undefined;
  constructor(readonly redirectUrl: string) {}
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "E2E Assistant",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() {
    this.sentState = randomBytes(16).toString("base64url");
    return this.sentState;
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  /** What a client does when the server says its tokens (or registration) are no good. */
  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery") {
    if (scope === "all" || scope === "tokens") this.saved = undefined;
    if (scope === "all" || scope === "client") this.info = undefined;
  }
}

let stack: OAuthStack;
let browser: Browser | undefined;
const screenshots = process.env.OAUTH_SCREENSHOTS ?? join(tmpdir(), "taskbeat-oauth-screens");

beforeAll(async () => {
  stack = await startOAuthStack(db);
  if (!chromiumMissing)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe.skipIf(skipBrowser)(`the SDK client signs in through a real browser${browserNote}`, () => {
  it("401 → discovery → DCR → PKCE → sign-in page → Allow → tools; refresh, reuse, revocation", {
    timeout: 120_000,
  }, async () => {
    expect(chromiumMissing, `${CHROMIUM} is missing: CI must install chromium`).toBe(false);
    const callback = await startCallback();
    try {
      const provider = new TestProvider(callback.url);
      const mcpUrl = new URL(`${stack.url}/mcp`);
      const first = new Client({ name: "e2e", version: "1.0.0" });
      const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
      await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
      expect(provider.info?.client_id).toMatch(/^tbk_/);
      const authorizationUrl = provider.authorizationUrl as URL;
      expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${stack.url}/oauth/authorize`);
      expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
      expect(authorizationUrl.searchParams.get("resource")).toBe(`${stack.url}/mcp`);

      const page = await (browser as Browser).newPage();
      const returned = callback.next();
      await page.goto(authorizationUrl.href);
      await page.screenshot({ path: join(screenshots, "1-email.png") });
      await page.getByLabel("Email address").fill("e2e@example.com");
      await page.getByRole("button", { name: "Email me a code" }).click();
      await page.getByLabel("Sign-in code").waitFor();
      await page.screenshot({ path: join(screenshots, "2-code.png") });
      // A typo first: the page says so and how many tries are left.
      const code = lastCode(stack.smtp, "e2e@example.com");
      await page.getByLabel("Sign-in code").fill(code === "000000" ? "111111" : "000000");
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toContain("4 tries left");
      await page.screenshot({ path: join(screenshots, "2b-wrong-code.png") });
      await page.getByLabel("Sign-in code").fill(code);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("button", { name: "Allow" }).waitFor();
      expect(await page.textContent("main")).toContain("E2E Assistant");
      await page.screenshot({ path: join(screenshots, "3-consent.png") });
      await page.getByRole("button", { name: "Allow" }).click();
      const back = await returned;
      await page.close();
      // The client's own check: the state it sent came back unchanged.
      expect(back.searchParams.get("state")).toBe(provider.sentState);
      await transport.finishAuth(back.searchParams.get("code") ?? "");
      const firstTokens = provider.saved as OAuthTokens;
      expect(firstTokens.access_token).toMatch(/^tba_/);

      const client = new Client({ name: "e2e", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain("add_task");
      const added = await client.callTool({ name: "add_task", arguments: { title: "Signed in by OAuth" } });
      expect(added.isError).toBeFalsy();

      // The access token runs out: the SDK refreshes by itself and the call goes through.
      await db.sql`update oauth_tokens set expires_at = now() where kind = 'access'`;
      const listed = await client.callTool({ name: "list_tasks", arguments: {} });
      expect(JSON.stringify(listed.structuredContent)).toContain("Signed in by OAuth");
      const refreshed = provider.saved as OAuthTokens;
      expect(refreshed.refresh_token).not.toBe(firstTokens.refresh_token);

      // Someone replays the first (rotated) refresh token: refused, and the family is revoked.
      const { metadata } = await discoverAuthorizationServerMetadata(stack.url).then((m) => ({
        metadata: m,
      }));
      await expect(
        refreshAuthorization(stack.url, {
          metadata,
          clientInformation: provider.info as OAuthClientInformationMixed,
          refreshToken: firstTokens.refresh_token as string,
          resource: mcpUrl,
        }),
      ).rejects.toThrow(/already used/);
      const status = await fetch(mcpUrl, {
        method: "POST",
        headers: { authorization: `Bearer ${refreshed.access_token}` },
      });
      expect(status.status).toBe(401);
      await client.close();
    } finally {
      callback.server.close();
    }
  });

  it("revocation ends the session: the next call is a 401 the client must sign in again after", {
    timeout: 120_000,
  }, async () => {
    expect(chromiumMissing).toBe(false);
    const callback = await startCallback();
    try {
      const provider = new TestProvider(callback.url);
      const mcpUrl = new URL(`${stack.url}/mcp`);
      const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
      await expect(new Client({ name: "e2e", version: "1" }).connect(transport)).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      const page = await (browser as Browser).newPage();
      const returned = callback.next();
      await page.goto((provider.authorizationUrl as URL).href);
      await page.getByLabel("Email address").fill("revoke@example.com");
      await page.getByRole("button", { name: "Email me a code" }).click();
      await page.getByLabel("Sign-in code").fill(lastCode(stack.smtp, "revoke@example.com"));
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("button", { name: "Deny" }).waitFor();
      await page.getByRole("button", { name: "Allow" }).click();
      const back = await returned;
      await page.close();
      await transport.finishAuth(back.searchParams.get("code") ?? "");
      const client = new Client({ name: "e2e", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
      const tokens = provider.saved as OAuthTokens;
      const revoked = await fetch(`${stack.url}/oauth/revoke`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: tokens.access_token, client_id: provider.info?.client_id ?? "" }),
      });
      expect(revoked.status).toBe(200);
      provider.authorizationUrl = undefined;
      const failure = await client.listTools().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(UnauthorizedError);
      // The SDK's refresh was refused too, so it asked to send the person to sign in again.
      expect(provider.authorizationUrl).toBeDefined();
      await client.close();
    } finally {
      callback.server.close();
    }
  });

  it("Deny sends access_denied back to the client", { timeout: 120_000 }, async () => {
    expect(chromiumMissing).toBe(false);
    const callback = await startCallback();
    try {
      const provider = new TestProvider(callback.url);
      const transport = new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), {
        authProvider: provider,
      });
      await expect(new Client({ name: "e2e", version: "1" }).connect(transport)).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      const page = await (browser as Browser).newPage();
      const returned = callback.next();
      await page.goto((provider.authorizationUrl as URL).href);
      await page.getByLabel("Email address").fill("deny@example.com");
      await page.getByRole("button", { name: "Email me a code" }).click();
      await page.getByLabel("Sign-in code").fill(lastCode(stack.smtp, "deny@example.com"));
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("button", { name: "Deny" }).click();
      const back = await returned;
      await page.close();
      expect(back.searchParams.get("error")).toBe("access_denied");
      expect(back.searchParams.get("state")).toBe(provider.sentState);
      expect(provider.saved).toBeUndefined();
    } finally {
      callback.server.close();
    }
  });
});
