/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, its `server` command) against
 * the real backend group on a real port, real PostgreSQL and a real personal token. The suite has no
 * option for credentials, so it talks to taskbeat through a loopback forwarder that adds
 * `Authorization: Bearer <token>` to every request, as a client configured with that header would, and
 * changes nothing else (Host and Origin go through as the suite sent them, for its DNS-rebinding checks).
 *
 * The suite needs Node ≥ 22; CI runs `npm test` on Node 20 and again on Node 24, so on Node 20 this file
 * skips, and on Node ≥ 22 it fails if the suite cannot run. Scenarios that cannot apply to taskbeat are
 * skipped by name with the reason (SKIPPED below); every other scenario the package lists must pass, and
 * a scenario a newer package adds fails the test until it is placed in one list or the other.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveBackend, userToken } from "../support/backend-app.js";
import { useTestDb } from "../support/db.js";
import type { Served } from "../support/http.js";

const run = promisify(execFile);
const NODE_MAJOR = Number(process.versions.node.split(".")[0]);
const supported = NODE_MAJOR >= 22;

/** Scenarios run against taskbeat; every check each one makes must pass. */
const APPLIED = [
  "server-initialize",
  "ping",
  "tools-list",
  "resources-list",
  "prompts-list",
  "dns-rebinding-protection",
];

// The scenarios below call tools, prompts and resources only the suite's reference server has.
const FIXTURE = "needs the suite's test-only";

/** Scenarios that cannot apply, each with why. The capability ones are checked below, so a change shows. */
const SKIPPED: Record<string, string> = {
  "logging-set-level":
    "taskbeat does not declare the logging capability (method not found is the right answer)",
  "tools-call-with-logging":
    "taskbeat does not declare the logging capability, and test_tool_with_logging is a fixture",
  "completion-complete":
    "taskbeat does not declare the completions capability; the ref is the fixture prompt test_prompt_with_arguments",
  "resources-subscribe":
    "taskbeat is stateless (no session, no stream to notify on), so resources.subscribe is not declared",
  "resources-unsubscribe":
    "taskbeat is stateless (no session, no stream to notify on), so resources.subscribe is not declared",
  "tools-call-sampling": "taskbeat never asks the client's model (sampling), and test_sampling is a fixture",
  "tools-call-elicitation":
    "taskbeat never asks the user through the client (elicitation), and test_elicitation is a fixture",
  "elicitation-sep1034-defaults":
    "taskbeat never uses elicitation; test_elicitation_sep1034_defaults is a fixture",
  "elicitation-sep1330-enums": "taskbeat never uses elicitation; test_elicitation_sep1330_enums is a fixture",
  "server-sse-polling":
    "taskbeat's /mcp is stateless with JSON responses: no session id, no SSE stream to resume (pending suite)",
  "server-sse-multiple-streams":
    "taskbeat's /mcp is stateless with JSON responses: no session id, no SSE streams (pending suite)",
  "tools-call-simple-text": `${FIXTURE} tool test_simple_text`,
  "tools-call-image": `${FIXTURE} tool test_image_content`,
  "tools-call-audio": `${FIXTURE} tool test_audio_content`,
  "tools-call-embedded-resource": `${FIXTURE} tool test_embedded_resource`,
  "tools-call-mixed-content": `${FIXTURE} tool test_multiple_content_types`,
  "tools-call-error": `${FIXTURE} tool test_error_handling (taskbeat's own isError answers are tested in test/mcp.test.ts)`,
  "tools-call-with-progress": `${FIXTURE} tool test_tool_with_progress; taskbeat answers in one JSON response, no progress`,
  "json-schema-2020-12": `${FIXTURE} tool json_schema_2020_12_tool`,
  "resources-read-text": `${FIXTURE} resource test://static-text`,
  "resources-read-binary": `${FIXTURE} resource test://static-binary`,
  "resources-templates-read": `${FIXTURE} resource template test://template/{id}/data`,
  "prompts-get-simple": `${FIXTURE} prompt test_simple_prompt`,
  "prompts-get-with-args": `${FIXTURE} prompt test_prompt_with_arguments`,
  "prompts-get-embedded-resource": `${FIXTURE} prompt test_prompt_with_embedded_resource`,
  "prompts-get-with-image": `${FIXTURE} prompt test_prompt_with_image`,
};

const db = useTestDb("mcp-conformance");
let served: Served;
let forwarder: Server;
let outDir: string;
let url: string;
let token: string;

beforeAll(async () => {
  if (!supported) return;
  served = await serveBackend(db.sql);
  token = await userToken(db.sql, "conformance@example.com");
  forwarder = await forwardWithToken(served.port, token);
  url = `http://127.0.0.1:${(forwarder.address() as AddressInfo).port}/mcp`;
  outDir = await mkdtemp(join(tmpdir(), "taskbeat-conformance-"));
});
afterAll(async () => {
  forwarder?.closeAllConnections();
  await new Promise((resolve) => forwarder?.close(resolve));
  await served?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

/** The package's CLI, run with this Node; resolving it fails the test if the package is missing. */
function conformance(args: string[]) {
  const cli = createRequire(import.meta.url).resolve("@modelcontextprotocol/conformance/dist/index.js");
  return run(process.execPath, [cli, ...args], { timeout: 30_000 });
}

interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED";
  description: string;
  errorMessage?: string;
}

/** Runs one scenario and returns its checks, read from the results directory the CLI writes. */
async function runScenario(name: string): Promise<{ checks: Check[]; output: string }> {
  const dir = join(outDir, name);
  // A failed check exits 1; the checks themselves say which, so read them either way.
  const result = await conformance(["server", "--url", url, "--scenario", name, "-o", dir]).catch(
    (error: { stdout?: string; stderr?: string; message: string }) => error,
  );
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}${"message" in result ? result.message : ""}`;
  const [saved] = await readdir(dir).catch(() => []);
  if (saved === undefined) throw new Error(`the conformance CLI wrote no results for ${name}:\n${output}`);
  return { checks: JSON.parse(await readFile(join(dir, saved, "checks.json"), "utf8")) as Check[], output };
}

/** A loopback HTTP forwarder that adds the bearer token a configured client would send. */
async function forwardWithToken(targetPort: number, token: string): Promise<Server> {
  const server = createServer((incoming, outgoing) => {
    const headers = { ...incoming.headers, authorization: `Bearer ${token}` };
    const upstream = request(
      { host: "127.0.0.1", port: targetPort, method: incoming.method, path: incoming.url, headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on("error", () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

const why = `@modelcontextprotocol/conformance needs Node ≥ 22, this is ${process.version}; CI runs this file again on Node 24`;

describe.skipIf(!supported)(
  `the official MCP conformance server scenarios${supported ? "" : ` (skipped: ${why})`}`,
  () => {
    it("lists exactly the scenarios this file runs or skips by name", async () => {
      const { stdout } = await conformance(["list", "--server"]);
      const listed = [...stdout.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1]);
      expect(listed.length).toBeGreaterThan(0);
      expect([...listed].sort()).toEqual([...APPLIED, ...Object.keys(SKIPPED)].sort());
    });

    it.each(APPLIED)("%s passes", async (name) => {
      const { checks, output } = await runScenario(name);
      const failed = checks.filter((check) => check.status === "FAILURE");
      expect(failed, output).toEqual([]);
      expect(checks.filter((check) => check.status === "SUCCESS").length, output).toBeGreaterThan(0);
    });

    for (const [name, reason] of Object.entries(SKIPPED)) it.skip(`${name} (skipped: ${reason})`, () => {});

    it("declares none of the capabilities the skipped scenarios need (logging, completions, subscribe)", async () => {
      const client = new Client({ name: "conformance-capabilities", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      try {
        const capabilities = client.getServerCapabilities();
        expect(capabilities).toMatchObject({ tools: {}, resources: {}, prompts: {} });
        expect(capabilities?.logging).toBeUndefined();
        expect(capabilities?.completions).toBeUndefined();
        expect(capabilities?.resources?.subscribe).toBeFalsy();
      } finally {
        await client.close();
      }
    });
  },
);
