/**
 * An external identity provider (OAUTH_ISSUER): a real OpenID Connect provider (`oidc-provider`) runs
 * on loopback and issues JWT access tokens for taskbeat's resource (RFC 8707 resource indicators); /mcp
 * accepts them by OIDC discovery + JWKS, maps the verified email to a user, and refuses tokens for
 * another audience, tampered ones, and (with sign-up closed) unknown people. With OAUTH_SERVER=off the
 * built-in server is gone and only the external issuer is named.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findUserByEmail } from "../../functions/_shared/auth/tokens.js";
import { useTestDb } from "../support/db.js";
import { freePort } from "../support/ports.js";
import { Browser, type OAuthStack, startOAuthStack } from "./_harness.js";

const db = useTestDb("oauth-external");
const REDIRECT = "http://127.0.0.1:47001/cb";
const OTHER = "https://other.example/mcp";
let idp: Server;
let issuer = "";
let stack: OAuthStack;
let port = 0;

beforeAll(async () => {
  port = await freePort();
  const resource = `http://127.0.0.1:${port}/mcp`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: "k1", alg: "RS256", use: "sig" };
  idp = createServer();
  await new Promise<void>((resolve) => idp.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: "assistant",
        token_endpoint_auth_method: "none",
        redirect_uris: [REDIRECT],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ["test-only-cookie-key"] },
    claims: { email: ["email", "email_verified"] },
    scopes: ["openid", "email", "tasks"],
    // Every login is a person whose account id is their (verified) email, or "unverified:<email>".
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({
        sub: id,
        email: id.replace(/^unverified:/, ""),
        email_verified: !id.startsWith("unverified:"),
      }),
    }),
    extraTokenClaims: (_ctx, token) => {
      const id = String((token as { accountId?: string }).accountId ?? "");
      return { email: id.replace(/^unverified:/, ""), email_verified: !id.startsWith("unverified:") };
    },
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => ({
          scope: "tasks",
          audience: indicator,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
  });
  idp.on("request", provider.callback());
  stack = await startOAuthStack(db, { OAUTH_ISSUER: issuer }, port);
});
afterAll(async () => {
  await stack?.close();
  idp?.close();
});

/** Signs in at the external provider (its development login form) and returns the JWT access token. */
async function externalToken(login: string, resource: string): Promise<string> {
  const verifier = randomBytes(32).toString("base64url");
  const browser = new Browser();
  const params = new URLSearchParams({
    client_id: "assistant",
    response_type: "code",
    redirect_uri: REDIRECT,
    scope: "openid email tasks",
    resource,
    state: "s",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  let location = `${issuer}/auth?${params}`;
  for (let step = 0; step < 12 && !location.startsWith(REDIRECT); step++) {
    const answer = await browser.get(location);
    const next = answer.headers.get("location");
    if (next) {
      location = new URL(next, issuer).href;
      continue;
    }
    // An interaction page: log in (any password), then consent.
    const html = await answer.text();
    const prompt: Record<string, string> = html.includes('name="login"')
      ? { prompt: "login", login, password: "x" }
      : { prompt: "consent" };
    const submitted = await browser.post(location, prompt);
    location = new URL(submitted.headers.get("location") ?? "", issuer).href;
  }
  const code = new URL(location).searchParams.get("code") ?? "";
  const answer = await fetch(`${issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: "assistant",
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      resource,
    }).toString(),
  });
  const body = (await answer.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

const mcpStatus = async (token: string) =>
  (
    await fetch(`${stack.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    })
  ).status;

describe("tokens from an external OpenID Connect issuer", () => {
  it("names both authorization servers in the protected-resource metadata", async () => {
    const body = (await (await fetch(`${stack.url}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      authorization_servers: string[];
    };
    expect(body.authorization_servers).toEqual([stack.url, issuer]);
  });

  it("accepts a JWT for this resource and maps its verified email to a user, created on first use", async () => {
    const token = await externalToken("team@example.com", `${stack.url}/mcp`);
    expect(token.split(".")).toHaveLength(3);
    expect(await mcpStatus(token)).toBe(200);
    expect((await findUserByEmail(db.sql, "team@example.com"))?.email).toBe("team@example.com");
  });

  it("refuses a JWT for another resource, a tampered one, and one without a verified email", async () => {
    expect(await mcpStatus(await externalToken("team@example.com", OTHER))).toBe(401);
    const token = await externalToken("team@example.com", `${stack.url}/mcp`);
    const [head, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, email: "boss@example.com" })).toString(
      "base64url",
    );
    expect(await mcpStatus(`${head}.${forged}.${signature}`)).toBe(401);
    expect(await mcpStatus(await externalToken("unverified:eve@example.com", `${stack.url}/mcp`))).toBe(401);
    expect(await findUserByEmail(db.sql, "eve@example.com")).toBeUndefined();
  });
});

describe("with the built-in server off and sign-up closed", () => {
  beforeAll(async () => {
    await stack.close();
    // A new port: the client pool still holds keep-alive sockets to the stopped one.
    stack = await startOAuthStack(db, { OAUTH_ISSUER: issuer, OAUTH_SERVER: "off", SIGNUP: "closed" });
  });

  it("publishes no authorization server of its own and names only the external issuer", async () => {
    expect((await fetch(`${stack.url}/.well-known/oauth-authorization-server`)).status).toBe(404);
    expect((await fetch(`${stack.url}/oauth/authorize`)).status).toBe(404);
    const body = (await (await fetch(`${stack.url}/.well-known/oauth-protected-resource`)).json()) as {
      authorization_servers: string[];
    };
    expect(body.authorization_servers).toEqual([issuer]);
  });

  it("accepts known people and refuses unknown ones", async () => {
    expect(await mcpStatus(await externalToken("team@example.com", `${stack.url}/mcp`))).toBe(200);
    expect(await mcpStatus(await externalToken("stranger@example.com", `${stack.url}/mcp`))).toBe(401);
    expect(await findUserByEmail(db.sql, "stranger@example.com")).toBeUndefined();
  });
});
