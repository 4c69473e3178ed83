import { describe, expect, it } from "vitest";
import { checkHostAndOrigin, DEFAULT_ALLOWED_HOSTS, hostMatcher } from "./http.js";

describe("checkHostAndOrigin", () => {
  const loopback = hostMatcher(DEFAULT_ALLOWED_HOSTS);

  it.each([
    ["localhost:3000", undefined],
    ["LOCALHOST", undefined],
    ["127.0.0.1:1", "http://127.0.0.1:5173"],
    ["[::1]:3000", "http://[::1]:3000"],
    ["localhost:3000", "https://localhost"],
  ])("lets Host %j with Origin %j through", (host, origin) => {
    expect(checkHostAndOrigin(host, origin, loopback)).toBeUndefined();
  });

  it.each([
    [undefined, undefined, "Host"],
    ["evil.example:3000", undefined, "Host"],
    // A name that merely starts like an allowed one, or smuggles one in as userinfo.
    ["localhost.evil.example", undefined, "Host"],
    ["localhost@evil.example", undefined, "Host"],
    ["evil.example/localhost", undefined, "Host"],
    ["localhost:3000", "http://evil.example", "Origin"],
    ["localhost:3000", "null", "Origin"],
    ["localhost:3000", "http://localhost@evil.example", "Origin"],
  ])("refuses Host %j with Origin %j, naming the %s", (host, origin, what) => {
    expect(checkHostAndOrigin(host, origin, loopback)).toMatch(new RegExp(`^${what} .* is not allowed\\.$`));
  });

  it("matches configured names exactly or, with *., their subdomains; * allows any", () => {
    const configured = hostMatcher([" MCP.example.com ", "*.svc.cluster.local"]);
    expect(configured("mcp.example.com")).toBe(true);
    expect(configured("backend.taskbeat.svc.cluster.local")).toBe(true);
    expect(configured("svc.cluster.local")).toBe(false);
    expect(configured("evil-svc.cluster.local")).toBe(false);
    expect(configured("localhost")).toBe(false);
    expect(hostMatcher(["*"])("anything.example")).toBe(true);
  });
});
