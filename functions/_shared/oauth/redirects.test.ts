import { describe, expect, it } from "vitest";
import { redirectUriMatches, redirectUriProblem } from "./redirects.js";

describe("redirect URIs", () => {
  const registered = ["https://app.example/cb", "http://127.0.0.1:8080/callback", "http://[::1]/cb"];

  it("match exactly, except a loopback redirect's port (RFC 8252 §7.3)", () => {
    expect(redirectUriMatches(registered, "https://app.example/cb")).toBe(true);
    expect(redirectUriMatches(registered, "http://127.0.0.1:50123/callback")).toBe(true);
    expect(redirectUriMatches(registered, "http://127.0.0.1/callback")).toBe(true);
    expect(redirectUriMatches(registered, "http://[::1]:9999/cb")).toBe(true);
  });

  it("refuse anything else: another path, query, host, scheme or a port on a non-loopback host", () => {
    for (const uri of [
      "https://app.example/cb/",
      "https://app.example/cb?next=https://evil.example",
      "https://app.example:444/cb",
      "https://evil.example/cb",
      "http://app.example/cb",
      "http://127.0.0.1:8080/callback/../evil",
      "http://localhost:8080/callback",
      "http://127.0.0.1:8080/callback?x=1",
      "not a url",
    ])
      expect(redirectUriMatches(registered, uri), uri).toBe(false);
  });

  it("may be registered only when safe", () => {
    expect(redirectUriProblem("https://app.example/cb")).toBeUndefined();
    expect(redirectUriProblem("http://localhost:3000/cb")).toBeUndefined();
    expect(redirectUriProblem("com.example.app:/oauth")).toBeUndefined();
    expect(redirectUriProblem("http://app.example/cb")).toMatch(/non-loopback/);
    expect(redirectUriProblem("https://app.example/cb#x")).toMatch(/fragment/);
    expect(redirectUriProblem("javascript:alert(1)")).toMatch(/scheme/);
    expect(redirectUriProblem("myapp:/cb")).toMatch(/reversed-domain/);
    expect(redirectUriProblem("https://user:pw@app.example/cb")).toMatch(/credentials/);
  });
});
