/**
 * MCP over real Streamable HTTP against real PostgreSQL, spoken to by the SDK's own `Client`: auth
 * (401 + WWW-Authenticate), DNS-rebinding protection (403), tools/list, results and every kind of
 * failure, the `task://{id}` template and the `daily_review` prompt. The tools are fixtures defined
 * here, so this tests the MCP layer alone; the real tools have their own tests.
 */
import { request as httpRequest } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { Ajv } from "ajv";
import { Hono } from "hono";
import * as v from "valibot";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createUser, issueToken } from "../functions/_shared/auth/tokens.js";
import type { ToolContext, User } from "../functions/_shared/domain/context.js";
import { notFound } from "../functions/_shared/domain/errors.js";
import { RESOURCE_NOT_FOUND } from "../functions/_shared/mcp/resources.js";
import { taskMcp } from "../functions/backend/mcp.setup.js";
import { defineTool } from "../runtime/define.js";
import { createLogger } from "../runtime/log.js";
import { mountMcp } from "../runtime/mcp/http.js";
import { toolErrorOf } from "../runtime/mcp/server.js";
import type { RegisteredTool } from "../runtime/registry.js";
import { Lifecycle } from "../runtime/router/lifecycle.js";
import { useTestDb } from "./support/db.js";
import { type Served, serveApp } from "./support/http.js";

const db = useTestDb("mcp-e2e");

const described = <T extends v.GenericSchema>(schema: T, text: string) => v.pipe(schema, v.description(text));

const echo = defineTool({
  name: "echo",
  description: "Repeats a text back and says who asked.",
  input: v.object({
    text: described(v.pipe(v.string(), v.minLength(1, "must not be empty")), "What to repeat."),
    times: v.optional(
      described(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3)), "How often."),
      1,
    ),
  }),
  output: v.object({ text: v.string(), asked_by: v.string(), time_zone: v.string() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  handle: ({ text, times }, ctx: ToolContext) => {
    ctx.onEventsCommitted?.();
    return { text: text.repeat(times), asked_by: ctx.user.email, time_zone: ctx.user.timeZone };
  },
  summarize: (output) => `Echoed “${output.text}” for ${output.asked_by}.`,
});

const TaskIdInput = v.object({ task_id: described(v.string(), "The task's id.") });
const findNothing = defineTool({
  name: "find_nothing",
  description: "Always fails as a missing task does.",
  input: TaskIdInput,
  output: v.object({ found: v.boolean() }),
  annotations: { readOnlyHint: true },
  handle: ({ task_id }): { found: boolean } => {
    throw notFound("task", task_id);
  },
  summarize: () => "found",
});

const crash = defineTool({
  name: "crash",
  description: "Fails with a database error, as a bug would.",
  input: v.object({}),
  output: v.object({ rows: v.number() }),
  annotations: { readOnlyHint: false, destructiveHint: true },
  handle: async (_input, ctx: ToolContext) => ({
    rows: (await ctx.sql`select * from secret_missing_table`).length,
  }),
  summarize: () => "crashed",
});

const lie = defineTool({
  name: "lie",
  description: "Returns something its output schema does not allow.",
  input: v.object({}),
  output: v.object({ count: v.number() }),
  annotations: { readOnlyHint: true },
  handle: () => ({ count: "three" }) as unknown as { count: number },
  summarize: () => "lied",
});

const tools: RegisteredTool[] = [echo, findNothing, crash, lie].map((unit) => ({ name: unit.name, unit }));

const logLines: string[] = [];
let committed = 0;
let served: Served;
let ada: User;
let adaToken: string;
let bob: User;
let bobToken: string;
const clients: Client[] = [];

beforeAll(async () => {
  ada = await createUser(db.sql, { email: "ada@example.com", timeZone: "Europe/Paris" });
  adaToken = await issueToken(db.sql, ada.id);
  bob = await createUser(db.sql, { email: "bob@example.com", timeZone: "America/New_York" });
  bobToken = await issueToken(db.sql, bob.id);
  const app = new Hono();
  mountMcp(app, {
    sql: db.sql,
    setup: taskMcp,
    log: createLogger({ level: "debug", write: (line) => logLines.push(line) }),
    tools,
    onEventsCommitted: () => committed++,
  });
  served = await serveApp(app);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await served?.close();
});

async function connect(token: string | undefined, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "taskbeat-test", version: "0.0.0" });
  const auth: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  const transport = new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), {
    requestInit: { headers: { ...auth, ...headers } },
  });
  clients.push(client);
  await client.connect(transport);
  return client;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
});

/** node:http rather than fetch, so Host can be anything. */
function raw(headers: Record<string, string>, method = "POST", port = served.port): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path: "/mcp",
        method,
        timeout: 5_000,
        headers: {
          accept: "application/json, text/event-stream",
          "content-type": "application/json",
          ...headers,
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(method === "POST" ? initialize : undefined);
  });
}

describe("authentication", () => {
  it("answers a request without a token with 401 and WWW-Authenticate, not a JSON-RPC error", async () => {
    const response = await raw({});
    expect(response.status).toBe(401);
    // The application adds where to sign in (RFC 9728): test/oauth covers that part.
    expect(response.headers["www-authenticate"]).toMatch(
      /^Bearer realm="taskbeat", resource_metadata="[^"]+"$/,
    );
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ error: "unauthorized", message: expect.stringContaining("Bearer") });
    expect(body).not.toHaveProperty("jsonrpc");
  });

  it.each([
    ["an unknown token", `tb_${"x".repeat(43)}`],
    ["a malformed token", "hunter2"],
  ])("answers %s with 401 and error=invalid_token", async (_case, token) => {
    const response = await raw({ authorization: `Bearer ${token}` });
    expect(response.status).toBe(401);
    expect(response.headers["www-authenticate"]).toMatch(/^Bearer realm="taskbeat", error="invalid_token", /);
    expect(JSON.parse(response.body)).toMatchObject({ error: "invalid_token" });
  });

  it("makes the SDK client fail with HTTP 401 without a token, with a bad one and with a revoked one", async () => {
    await expect(connect(undefined)).rejects.toMatchObject({ code: 401 });
    await expect(connect("tb_nope")).rejects.toMatchObject({ code: 401 });
    const carol = await createUser(db.sql, { email: "carol@example.com" });
    const token = await issueToken(db.sql, carol.id);
    await connect(token);
    await db.sql`update api_tokens set revoked_at = now() where user_id = ${carol.id}`;
    await expect(connect(token)).rejects.toMatchObject({ code: 401 });
  });

  it("serves a valid token, and only POST (stateless)", async () => {
    const response = await raw({ authorization: `bearer ${adaToken}` });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ id: 1, result: { serverInfo: { name: "taskbeat" } } });
    const get = await raw({ authorization: `Bearer ${adaToken}` }, "GET");
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");
  });
});

describe("the request body", () => {
  /** A POST with this body, sent in one piece with its length or chunked without one. */
  const send = (body: string, chunked: boolean): Promise<RawResponse> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port: served.port,
          path: "/mcp",
          method: "POST",
          headers: {
            accept: "application/json, text/event-stream",
            "content-type": "application/json",
            authorization: `Bearer ${adaToken}`,
            ...(chunked ? {} : { "content-length": String(Buffer.byteLength(body)) }),
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on("error", reject);
      if (chunked) {
        // Two writes without a length: Node sends Transfer-Encoding: chunked.
        req.write(body.slice(0, 10));
        req.end(body.slice(10));
      } else req.end(body);
    });

  it.each([
    ["with its length", false],
    ["chunked", true],
  ])("answers a call sent %s", async (_case, chunked) => {
    const response = await send(initialize, chunked);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ id: 1, result: { serverInfo: { name: "taskbeat" } } });
  });

  it("answers malformed JSON with the JSON-RPC parse error, however it was sent", async () => {
    for (const chunked of [false, true]) {
      const response = await send("{not json at all", chunked);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ error: { code: -32700 } });
    }
  });
});

describe("DNS-rebinding protection", () => {
  it("refuses a foreign Host or Origin with 403 before looking at the token", async () => {
    const host = await raw({ host: `evil.example:${served.port}`, authorization: `Bearer ${adaToken}` });
    expect(host.status).toBe(403);
    expect(JSON.parse(host.body)).toMatchObject({
      error: "forbidden",
      message: expect.stringContaining("Host"),
    });
    expect((await raw({ origin: "http://evil.example" })).status).toBe(403);
    expect((await raw({ origin: "null" })).status).toBe(403);
    await expect(connect(adaToken, { Origin: "http://evil.example" })).rejects.toMatchObject({ code: 403 });
  });

  it("accepts loopback names with any port, with or without an Origin", async () => {
    expect((await raw({ host: `localhost:${served.port}` })).status).toBe(401);
    expect((await raw({ host: "[::1]:1" })).status).toBe(401);
    const client = await connect(adaToken, { Origin: `http://localhost:${served.port}` });
    expect((await client.listTools()).tools.length).toBe(tools.length);
  });

  it("uses the configured allow-list, with *. wildcards", async () => {
    const app = new Hono();
    mountMcp(app, {
      sql: db.sql,
      setup: taskMcp,
      log: createLogger({ write: () => {} }),
      tools,
      allowedHosts: ["mcp.example.com", "*.internal.example"],
    });
    const other = await serveApp(app);
    try {
      expect((await raw({ host: "MCP.example.com" }, "POST", other.port)).status).toBe(401);
      expect((await raw({ host: "a.b.internal.example:8443" }, "POST", other.port)).status).toBe(401);
      expect((await raw({ host: "internal.example" }, "POST", other.port)).status).toBe(403);
      expect((await raw({ host: `127.0.0.1:${other.port}` }, "POST", other.port)).status).toBe(403);
    } finally {
      await other.close();
    }
  });
});

describe("shutdown", () => {
  it("tracks requests in the app's lifecycle and refuses new ones with 503 while draining", async () => {
    const lifecycle = new Lifecycle();
    let inFlightDuringCall = -1;
    const probe = defineTool({
      name: "probe",
      description: "Reports how many requests are in flight.",
      input: v.object({}),
      output: v.object({ ok: v.boolean() }),
      annotations: { readOnlyHint: true },
      handle: () => {
        inFlightDuringCall = lifecycle.inFlight;
        return { ok: true };
      },
      summarize: () => "ok",
    });
    const app = new Hono();
    mountMcp(app, {
      sql: db.sql,
      setup: taskMcp,
      log: createLogger({ write: () => {} }),
      tools: [{ name: "probe", unit: probe }],
      lifecycle,
    });
    const other = await serveApp(app);
    try {
      const client = new Client({ name: "taskbeat-test", version: "0.0.0" });
      clients.push(client);
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${other.url}/mcp`), {
          requestInit: { headers: { Authorization: `Bearer ${adaToken}` } },
        }),
      );
      await client.callTool({ name: "probe" });
      // At least the call itself; the client's background GET (answered 405) may overlap it.
      expect(inFlightDuringCall).toBeGreaterThanOrEqual(1);
      await vi.waitFor(() => expect(lifecycle.inFlight).toBe(0), { timeout: 2_000 });
      await lifecycle.drain(0);
      const refused = await raw({ authorization: `Bearer ${adaToken}` }, "POST", other.port);
      expect(refused.status).toBe(503);
      expect(refused.headers["retry-after"]).toBe("1");
    } finally {
      await other.close();
    }
  });
});

describe("tools", () => {
  it("lists every tool with a title, description, annotations, object schemas and described fields", async () => {
    const client = await connect(adaToken);
    const { tools: listed } = await client.listTools();
    expect(listed.map((tool) => tool.name).sort()).toEqual(["crash", "echo", "find_nothing", "lie"]);
    for (const tool of listed) {
      expect(tool.description).toBeTruthy();
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.outputSchema?.type).toBe("object");
      expect(typeof tool.annotations?.readOnlyHint).toBe("boolean");
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((schema as { description?: string }).description, `${tool.name}.${field}`).toBeTruthy();
      }
    }
    const listedEcho = listed.find((tool) => tool.name === "echo");
    expect(listedEcho).toMatchObject({
      title: "Echo",
      annotations: { title: "Echo", readOnlyHint: true, idempotentHint: true },
      inputSchema: {
        required: ["text"],
        properties: { times: { type: ["integer", "null"], default: 1, maximum: 3 } },
      },
    });
  });

  it("returns structuredContent matching the outputSchema plus a one-line summary, as the token's user", async () => {
    const client = await connect(adaToken);
    const { tools: listed } = await client.listTools();
    const before = committed;
    const result = await client.callTool({ name: "echo", arguments: { text: "hi", times: 2 } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({
      text: "hihi",
      asked_by: "ada@example.com",
      time_zone: "Europe/Paris",
    });
    expect(result.content).toEqual([
      { type: "text", text: "Echoed “hihi” for ada@example.com." },
      { type: "text", text: JSON.stringify(result.structuredContent) },
    ]);
    const validate = new Ajv({ strict: false }).compile(
      listed.find((tool) => tool.name === "echo")?.outputSchema ?? {},
    );
    expect(validate(result.structuredContent), JSON.stringify(validate.errors)).toBe(true);
    expect(committed).toBe(before + 1);

    const asBob = await connect(bobToken);
    expect(
      (await asBob.callTool({ name: "echo", arguments: { text: "yo" } })).structuredContent,
    ).toMatchObject({
      asked_by: "bob@example.com",
    });
  });

  it("turns a DomainError into an isError result with its code and sentence, which the SDK client accepts", async () => {
    const client = await connect(adaToken);
    await client.listTools(); // the SDK client validates results against cached output schemas from here on
    const result = await client.callTool({ name: "find_nothing", arguments: { task_id: "t-42" } });
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([
      { type: "text", text: "TASK_NOT_FOUND: No task with id t-42 exists for you." },
    ]);
    expect(toolErrorOf(result)).toEqual({
      code: "TASK_NOT_FOUND",
      message: "No task with id t-42 exists for you.",
    });
    expect(result.structuredContent).toBeUndefined();
  });

  it("answers bad arguments with VALIDATION_ERROR naming each field", async () => {
    const client = await connect(adaToken);
    const result = await client.callTool({ name: "echo", arguments: { text: "", times: 9 } });
    expect(toolErrorOf(result)?.code).toBe("VALIDATION_ERROR");
    const [content] = result.content as Array<{ text: string }>;
    expect(content?.text).toMatch(
      /^VALIDATION_ERROR: Invalid arguments for echo: text: must not be empty; times: .+\.$/,
    );
    expect(toolErrorOf(await client.callTool({ name: "echo" }))?.message).toContain("text:");
  });

  it("hides unexpected failures behind INTERNAL_ERROR and keeps the details in the log", async () => {
    const client = await connect(adaToken);
    for (const name of ["crash", "lie"]) {
      const result = await client.callTool({ name, arguments: {} });
      expect(toolErrorOf(result)?.code, name).toBe("INTERNAL_ERROR");
      expect(JSON.stringify(result)).not.toMatch(/secret_missing_table|three|stack/);
    }
    const logged = logLines.map(
      (line) => JSON.parse(line) as { msg: string; tool?: string; user?: string; error?: unknown },
    );
    expect(logged.find((entry) => entry.msg === "tool failed" && entry.tool === "crash")).toMatchObject({
      user: ada.id,
      error: { message: expect.stringContaining("secret_missing_table") },
    });
    expect(
      logged.some(
        (entry) => entry.msg === "tool output does not match its output schema" && entry.tool === "lie",
      ),
    ).toBe(true);
  });

  it("answers an unknown tool with a JSON-RPC InvalidParams error", async () => {
    const client = await connect(adaToken);
    await expect(client.callTool({ name: "nope" })).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
  });

  it("answers tools/call with arguments that are not an object with -32602 and a short message", async () => {
    for (const [args, kind] of [
      ['"hello"', "a string"],
      ["[1,2]", "an array"],
      ["42", "a number"],
      ["null", "null"],
    ] as const) {
      const response = await fetch(`${served.url}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${adaToken}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":${args}}}`,
      });
      const body = (await response.json()) as { error?: { code: number; message: string } };
      expect(body.error?.code, args).toBe(ErrorCode.InvalidParams);
      expect(body.error?.message, args).toContain(`must be a JSON object of named fields, not ${kind}`);
      // Short: one sentence, not the SDK's list of Zod issues.
      expect(body.error?.message.length, args).toBeLessThan(120);
    }
  });

  it("refuses a NUL character in any string argument as VALIDATION_ERROR naming the field", async () => {
    const client = await connect(adaToken);
    const result = await client.callTool({ name: "echo", arguments: { text: "a\u0000b" } });
    expect(toolErrorOf(result)).toEqual({
      code: "VALIDATION_ERROR",
      message: expect.stringMatching(/^Invalid arguments for echo: text: contains a NUL character/),
    });
  });

  it("reads null as not given for an optional field, and says so in the listing", async () => {
    const client = await connect(adaToken);
    const result = await client.callTool({ name: "echo", arguments: { text: "hi", times: null } });
    expect(result.structuredContent).toMatchObject({ text: "hi" });
    const { tools: listed } = await client.listTools();
    const times = listed.find((tool) => tool.name === "echo")?.inputSchema.properties?.times;
    expect(times).toMatchObject({ type: ["integer", "null"] });
  });

  it("refuses at startup a tool with an undescribed input field, naming tool and field", () => {
    const undocumented = defineTool({
      name: "no_docs",
      description: "Searches, but does not say what its query is.",
      input: v.object({ query: v.string(), limit: described(v.number(), "How many.") }),
      output: v.object({ hits: v.number() }),
      annotations: { readOnlyHint: true },
      handle: () => ({ hits: 0 }),
      summarize: () => "none",
    });
    expect(() =>
      mountMcp(new Hono(), {
        sql: db.sql,
        log: createLogger({ write: () => {} }),
        tools: [{ name: "no_docs", unit: undocumented }],
        setup: taskMcp,
      }),
    ).toThrow('tool "no_docs": input field "query" has no description');
  });
});

async function insertTask(
  userId: string,
  title: string,
  dueAt: string | null,
  completed = false,
): Promise<string> {
  const [row] = await db.sql<{ id: string }[]>`
    insert into tasks (user_id, title, time_zone, due_at, completed, completed_at)
    values (${userId}, ${title}, 'UTC', ${dueAt === null ? null : db.sql.unsafe(dueAt)}, ${completed},
      ${completed ? new Date() : null})
    returning id`;
  return (row as { id: string }).id;
}

describe("task://{id}", () => {
  it("is listed as a template and reads the caller's own task as JSON", async () => {
    const id = await insertTask(ada.id, "Water the plants", null);
    const client = await connect(adaToken);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates).toEqual([
      expect.objectContaining({ uriTemplate: "task://{id}", mimeType: "application/json" }),
    ]);
    const { contents } = await client.readResource({ uri: `task://${id}` });
    expect(contents).toHaveLength(1);
    expect(contents[0]).toMatchObject({ uri: `task://${id}`, mimeType: "application/json" });
    expect(JSON.parse((contents[0] as { text: string }).text)).toMatchObject({
      id,
      title: "Water the plants",
      tags: [],
    });
  });

  it("answers another user's task, a missing one and a malformed URI alike: resource not found", async () => {
    const id = await insertTask(ada.id, "Ada's private task", null);
    const asBob = await connect(bobToken);
    for (const uri of [
      `task://${id}`,
      "task://00000000-0000-0000-0000-000000000000",
      "task://nope",
      "file:///etc/passwd",
    ]) {
      await expect(asBob.readResource({ uri }), uri).rejects.toMatchObject({ code: RESOURCE_NOT_FOUND });
    }
  });
});

const promptText = (messages: Array<{ content: { type: string } }>) =>
  (messages[0]?.content as { text?: string } | undefined)?.text ?? "";

describe("daily_review", () => {
  it("lists overdue, due-today and upcoming open tasks of the caller, days taken in their time zone", async () => {
    const dana = await createUser(db.sql, { email: "dana@example.com", timeZone: "Pacific/Auckland" });
    const zone = `'${dana.timeZone}'`;
    const today = `date_trunc('day', now() at time zone ${zone})`;
    await insertTask(dana.id, "Pay the rent", "now() - interval '2 days'");
    // Halfway between now and local midnight: due today wherever in the day the test runs.
    await insertTask(
      dana.id,
      "Call the plumber",
      `now() + ((${today} + interval '1 day') at time zone ${zone} - now()) / 2`,
    );
    await insertTask(dana.id, "Book flights", `(${today} + interval '3 days 12 hours') at time zone ${zone}`);
    await insertTask(dana.id, "Renew passport", "now() + interval '30 days'");
    await insertTask(dana.id, "Old chore", "now() - interval '1 day'", true);
    await insertTask(dana.id, "Someday", null);
    await insertTask(bob.id, "Bob's secret", "now() - interval '1 day'");
    const token = await issueToken(db.sql, dana.id);

    const client = await connect(token);
    const { prompts } = await client.listPrompts();
    expect(prompts).toEqual([expect.objectContaining({ name: "daily_review", title: "Daily review" })]);
    const { messages } = await client.getPrompt({ name: "daily_review" });
    expect(messages).toHaveLength(1);
    const text = promptText(messages);
    expect(text).toContain("Pacific/Auckland");
    const order = [
      "Overdue (1)",
      "Pay the rent",
      "Due today (1)",
      "Call the plumber",
      "Due in the next 7 days (1)",
      "Book flights",
    ];
    const positions = order.map((part) => text.indexOf(part));
    expect(
      positions.every((position) => position >= 0),
      text,
    ).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    for (const absent of ["Renew passport", "Old chore", "Someday", "Bob's secret"])
      expect(text).not.toContain(absent);
  });

  it("caps each group and says how many more there are", async () => {
    const eve = await createUser(db.sql, { email: "eve@example.com" });
    for (let i = 0; i < 22; i++) await insertTask(eve.id, `Late ${i}`, `now() - interval '${i + 1} hours'`);
    const client = await connect(await issueToken(db.sql, eve.id));
    const text = promptText((await client.getPrompt({ name: "daily_review" })).messages);
    expect(text).toContain("Overdue (22)");
    expect(text).toContain("…and 2 more");
    expect(text.match(/“Late \d+”/g)).toHaveLength(20);
  });

  it("refuses an unknown prompt", async () => {
    const client = await connect(adaToken);
    await expect(client.getPrompt({ name: "weekly_review" })).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
    });
  });
});
