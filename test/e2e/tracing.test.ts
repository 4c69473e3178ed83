/**
 * One trace per chain, end to end (see _stack.ts): an MCP call's W3C traceparent travels with the outbox
 * rows it writes, through the relay and the local sidecar to the recurring handler, and on into the
 * task.created event it writes; a check-due-tasks tick's span travels into the reminder-due events it
 * writes and on to the email handler that mails them. Each hop has its own span id, all of them the same trace id.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, issueToken } from "../../functions/_shared/auth/tokens.js";
import { createLogger } from "../../runtime/log.js";
import { parseTraceparent } from "../../runtime/trace.js";
import { useTestDb } from "../support/db.js";
import { inMs, type Stack, settle, startStack } from "./_stack.js";

const db = useTestDb("e2e-tracing", { max: 10 });
let stack: Stack;
let token: string;

/** The app's log lines, as JSON. */
const logged: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  stack = await startStack(db, { log: createLogger({ write: (line) => logged.push(JSON.parse(line)) }) });
  const user = await createUser(db.sql, { email: `tracing.${process.pid}@example.com`, timeZone: "UTC" });
  token = await issueToken(db.sql, user.id);
});
afterAll(async () => {
  await stack?.close();
});

/** An MCP client whose every request carries `traceparent` (as an instrumented client would send it). */
async function callWithTrace<T>(
  traceparent: string,
  name: string,
  args: Record<string, unknown>,
): Promise<T> {
  const client = new Client({ name: "traced-assistant", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${stack.served.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}`, traceparent } },
    }),
  );
  try {
    const result = (await client.callTool({ name, arguments: args })) as {
      structuredContent: T;
      isError?: boolean;
    };
    expect(result.isError, name).toBeFalsy();
    return result.structuredContent;
  } finally {
    await client.close();
  }
}

interface Envelope {
  id: string;
  type: string;
  subject?: string;
  traceparent?: string;
  traceid?: string;
  data: Record<string, unknown>;
}
const published = (type: string) =>
  stack.sidecar.published
    .map((message) => JSON.parse(message.body) as Envelope)
    .filter((event) => event.type === type);
const traceOf = (event: Envelope | undefined) => parseTraceparent(event?.traceparent);

const CREATE_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const COMPLETE_TRACE = "0af7651916cd43dd8448eb211c80319c";
const CLIENT_SPAN = "b7ad6b7169203331";

describe("trace context", () => {
  it("MCP call → task.completed → recurring → task.created is one trace", async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const { task } = await callWithTrace<{ task: { id: string } }>(
      `00-${CREATE_TRACE}-${CLIENT_SPAN}-01`,
      "add_task",
      { title: "Stretch", due_date: `${yesterday}T09:00`, recurrence_rule: "every day" },
    );
    await callWithTrace(`00-${COMPLETE_TRACE}-${CLIENT_SPAN}-01`, "complete_task", { task_id: task.id });
    await settle(db, stack);

    const completed = published("taskbeat.task.completed.v1").find((e) => e.subject === task.id);
    expect(traceOf(completed)?.traceId).toBe(COMPLETE_TRACE);
    // The tool call's own span, a child of the client's: a new span id, and daprd keeps it (traceid set).
    expect(traceOf(completed)?.spanId).not.toBe(CLIENT_SPAN);
    expect(completed?.traceid).toBe(completed?.traceparent);

    // The next occurrence, written by the recurring handler while it handled task.completed.
    const next = published("taskbeat.task.created.v1").filter((e) => e.subject !== task.id);
    expect(next).toHaveLength(1);
    expect(traceOf(next[0])?.traceId).toBe(COMPLETE_TRACE);
    expect(traceOf(next[0])?.spanId).not.toBe(traceOf(completed)?.spanId);
    // The first task.created came from the add_task call: its own trace.
    const created = published("taskbeat.task.created.v1").find((e) => e.subject === task.id);
    expect(traceOf(created)?.traceId).toBe(CREATE_TRACE);
  });

  it("a claim's span is the parent of its reminder-due events, and the email handler mails in that trace", async () => {
    const traceparent = `00-${CREATE_TRACE}-${CLIENT_SPAN}-01`;
    const { task } = await callWithTrace<{ task: { id: string } }>(traceparent, "add_task", {
      title: "Call the plumber",
      due_date: inMs(5_000),
    });
    const { reminder } = await callWithTrace<{ reminder: { id: string } }>(traceparent, "set_reminder", {
      task_id: task.id,
      remind_at: inMs(1_000),
    });
    const deadline = Date.now() + 15_000;
    while (stack.smtp.received.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await settle(db, stack);
    const due = published("taskbeat.reminder.due.v1").find((e) => e.subject === reminder.id);
    const trace = traceOf(due);
    expect(trace).toBeDefined();
    // The tick's trace (the scheduler started it), not the call that set the reminder.
    expect(trace?.traceId).not.toBe(CREATE_TRACE);
    expect(due?.traceid).toBe(due?.traceparent);
    expect(stack.smtp.received.length).toBeGreaterThan(0);
    // The email handler mailed it in the same trace: reminder → email is one trace with the claim.
    const mailed = logged.find((line) => line.msg === "reminder mailed" && line.reminderId === reminder.id);
    expect(mailed?.trace_id).toBe(trace?.traceId);
    expect(mailed?.span_id).not.toBe(trace?.spanId);
  });
});
