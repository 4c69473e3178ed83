/**
 * Client ID Metadata Documents: a client whose client_id is the URL of its metadata, served here on
 * loopback (allowed by OAUTH_CIMD_ALLOWED_HOSTS, as an operator would for an internal client), signs in
 * without registering. The SSRF guards are tested against the same server without that allowance:
 * private addresses, redirects, oversized and mismatched documents are all refused.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isMetadataDocumentClientId,
  isPublicAddress,
  resolveMetadataDocumentClient,
} from "../../functions/_shared/oauth/metadata-document.js";
import { oauthSettings } from "../../functions/_shared/oauth/settings.js";
import { useTestDb } from "../support/db.js";
import { Browser, formFields, lastCode, type OAuthStack, startOAuthStack } from "./_harness.js";

const db = useTestDb("oauth-cimd");
let stack: OAuthStack;
let documents: Server;
let base = "";
const REDIRECT = "http://127.0.0.1:45111/cb";

beforeAll(async () => {
  documents = createServer((req, res) => {
    const id = `${base}${req.url}`;
    if (req.url === "/client.json")
      return res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ client_id: id, client_name: "Doc Client", redirect_uris: [REDIRECT] }));
    if (req.url === "/other.json")
      return res
        .writeHead(200)
        .end(JSON.stringify({ client_id: `${base}/client.json`, redirect_uris: [REDIRECT] }));
    if (req.url === "/big.json") return res.writeHead(200).end(`{"x":"${"a".repeat(100_000)}"}`);
    if (req.url === "/moved.json") return res.writeHead(302, { location: `${base}/client.json` }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => documents.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(documents.address() as AddressInfo).port}`;
  stack = await startOAuthStack(db, { OAUTH_CIMD_ALLOWED_HOSTS: "127.0.0.1" });
});
afterAll(async () => {
  await stack?.close();
  documents?.close();
});

describe("a client identified by its metadata document", () => {
  it("signs in and gets tokens without registering", async () => {
    const clientId = `${base}/client.json`;
    const verifier = randomBytes(32).toString("base64url");
    const params = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: REDIRECT,
      state: "s",
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
    });
    const browser = new Browser();
    const start = await browser.get(`${stack.url}/oauth/authorize?${params}`);
    expect(start.status).toBe(303);
    const html = await (await browser.get(`${stack.url}${start.headers.get("location")}`)).text();
    expect(html).toContain("Doc Client");
    const fields = formFields(html);
    await browser.post(`${stack.url}/oauth/sign-in/email`, { ...fields, email: "doc@example.com" });
    await browser.post(`${stack.url}/oauth/sign-in/code`, {
      ...fields,
      code: lastCode(stack.smtp, "doc@example.com"),
    });
    const back = new URL(
      (await browser.post(`${stack.url}/oauth/consent`, { ...fields, decision: "allow" })).headers.get(
        "location",
      ) ?? "",
    );
    const answer = await fetch(`${stack.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: clientId,
        code: back.searchParams.get("code") ?? "",
        code_verifier: verifier,
        redirect_uri: REDIRECT,
      }).toString(),
    });
    expect(answer.status).toBe(200);
    const { access_token } = (await answer.json()) as { access_token: string };
    const mcp = await fetch(`${stack.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${access_token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(mcp.status).toBe(200);
  });

  it("refuses to fetch from a private address unless the host is allowed", async () => {
    const strict = { ...oauthSettings(), cimdAllowedHosts: [] };
    await expect(resolveMetadataDocumentClient(db.sql, `${base}/client2.json`, strict)).rejects.toThrow(
      /private address/,
    );
    // A name, not an IP literal: the check runs on what DNS answered, at connect time.
    const named = `${base.replace("127.0.0.1", "localhost")}/client.json`;
    await expect(resolveMetadataDocumentClient(db.sql, named, strict)).rejects.toThrow(/private address/);
  });

  it("refuses redirects, oversized documents and a document naming another client", async () => {
    const settings = oauthSettings();
    await expect(resolveMetadataDocumentClient(db.sql, `${base}/moved.json`, settings)).rejects.toThrow(
      /302/,
    );
    await expect(resolveMetadataDocumentClient(db.sql, `${base}/big.json`, settings)).rejects.toThrow(
      /larger/,
    );
    await expect(resolveMetadataDocumentClient(db.sql, `${base}/other.json`, settings)).rejects.toThrow(
      /client_id is not its own URL/,
    );
  });

  it("shows a refused document as a page at the authorization endpoint, never a redirect", async () => {
    const params = new URLSearchParams({
      response_type: "code",
      client_id: `${base}/moved.json`,
      redirect_uri: REDIRECT,
    });
    const answer = await new Browser().get(`${stack.url}/oauth/authorize?${params}`);
    expect(answer.status).toBe(400);
    expect(answer.headers.get("location")).toBeNull();
  });

  it("takes only https URLs (http on loopback only) with a path", () => {
    expect(isMetadataDocumentClientId("https://app.example/client.json")).toBe(true);
    expect(isMetadataDocumentClientId("https://app.example/")).toBe(false);
    expect(isMetadataDocumentClientId("http://app.example/client.json")).toBe(false);
    expect(isMetadataDocumentClientId("http://127.0.0.1:8080/client.json")).toBe(true);
    expect(isMetadataDocumentClientId("tbk_abc")).toBe(false);
  });

  it("knows private from public addresses", () => {
    for (const address of [
      "10.1.2.3",
      "192.168.0.1",
      "172.20.0.1",
      "127.0.0.1",
      "169.254.169.254",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:10.0.0.1",
      "0.0.0.0",
    ])
      expect(isPublicAddress(address), address).toBe(false);
    for (const address of ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
      expect(isPublicAddress(address), address).toBe(true);
  });
});
