/**
 * MCP latency over Streamable HTTP: `serve --group backend` in its own process, one sequential client
 * (a real assistant waits for each answer before the next call) timing add_task, list_tasks (first
 * page of 50, newest first), search_tasks (one word, first page) and search_tasks with that word
 * misspelt (the trigram fallback) as the seeded user. Each round calls them in turn, then times the floors (an HTTP round trip, a query, a commit: see
 * lib/floors.ts), so a noisy neighbour on the machine slows all of them alike rather than whichever
 * happened to be measured then. Percentiles are per run; the result is their median over the runs.
 */

import type { Sql } from "postgres";
import { type Backend, startBackend } from "./lib/backend.js";
import { checkpoint } from "./lib/db.js";
import { FLOORS, type Floor, floorProbe } from "./lib/floors.js";
import { type McpCaller, mcpCaller, type ToolAnswer } from "./lib/mcp-call.js";
import { median } from "./lib/proc.js";
import { type Corpus, type CorpusSize, seedCorpus } from "./lib/task-corpus.js";

export interface McpPlan {
  corpus: CorpusSize;
  /** Rounds (one call of each tool) before timing: plans, connections, JIT. */
  warmup: number;
  /** Timed rounds per run. */
  calls: number;
  runs: number;
  /** Also measured with this many clients at once (0: not measured). */
  concurrentClients: number;
}

/** What is timed: the three tools, and search_tasks with a misspelt word (the trigram fallback's path). */
export const MCP_TOOLS = ["add_task", "list_tasks", "search_tasks", "search_tasks misspelt"] as const;
export type McpTool = (typeof MCP_TOOLS)[number];

export interface Latency {
  p50: number;
  p99: number;
}

export interface McpResult {
  corpus: Omit<Corpus, "token" | "userId">;
  size: CorpusSize;
  /** One sequential client; medians over the runs of each run's percentiles, in ms. */
  sequential: Record<McpTool, Latency>;
  /** The floors, timed in the same rounds; medians over the runs, in ms. */
  floors: Record<Floor, Latency>;
  /** CPU of the serve process per timed sequential call, over every call timed (ms). */
  serverCpuPerCallMs: number;
  /** `concurrentClients` clients at once, every call of every client pooled (undefined when not measured). */
  concurrent: Record<McpTool, Latency> | undefined;
  /** Calls that failed or answered something other than what the seeded data implies. */
  failures: number;
}

const PAGE = 50;

type Samples<K extends string> = Record<K, number[]>;

/** `db.url` is the URL whose search_path is the bench schema (BenchDb.url), for the backend process. */
export async function benchMcp(db: { sql: Sql; url: string }, plan: McpPlan): Promise<McpResult> {
  const corpus = await seedCorpus(db.sql, plan.corpus);
  await checkpoint(db.sql);
  const backend = await startBackend(db.url);
  try {
    return await measure(backend, db.sql, corpus, plan);
  } finally {
    await backend.stop();
  }
}

async function measure(backend: Backend, sql: Sql, corpus: Corpus, plan: McpPlan): Promise<McpResult> {
  const endpoint = `${backend.url}/mcp`;
  const expectedHits = Math.min(PAGE, corpus.userMatches);
  let failures = 0;
  let added = 0;
  const calls: Record<McpTool, (caller: McpCaller) => Promise<void>> = {
    add_task: async (caller) => {
      added += 1;
      const answer = await caller.call("add_task", {
        title: `Buy train tickets for the trip ${added}`,
        due_date: dueIn(10),
        priority: "high",
      });
      if (answer.isError) failures += 1;
    },
    list_tasks: async (caller) => {
      const answer = await caller.call("list_tasks", { limit: PAGE });
      if (answer.isError || pageLength(answer) !== PAGE) failures += 1;
    },
    search_tasks: async (caller) => {
      const answer = await caller.call("search_tasks", { query: corpus.query, limit: PAGE });
      if (answer.isError || pageLength(answer) !== expectedHits) failures += 1;
    },
    // The words find nothing, so the search falls back to trigram similarity over the user's tasks.
    "search_tasks misspelt": async (caller) => {
      const answer = await caller.call("search_tasks", { query: misspelt(corpus.query), limit: PAGE });
      if (answer.isError || pageLength(answer) < 1) failures += 1;
    },
  };
  const timed = async (samples: number[], work: () => Promise<unknown>) => {
    const started = performance.now();
    await work().catch(() => {
      failures += 1;
    });
    samples.push(performance.now() - started);
  };
  const toolRound = async (caller: McpCaller, samples: Samples<McpTool>) => {
    for (const tool of MCP_TOOLS) await timed(samples[tool], () => calls[tool](caller));
  };

  const sequential = mcpCaller(endpoint, corpus.token);
  const floors = await floorProbe(backend.url, sql);
  const round = async (tools: Samples<McpTool>, floorSamples: Samples<Floor>) => {
    await toolRound(sequential, tools);
    for (const floor of FLOORS) await timed(floorSamples[floor], () => floors.probe(floor));
  };
  for (let i = 0; i < plan.warmup; i++) await round(toolSamples(), floorSamples());
  const toolRuns: Record<McpTool, Latency>[] = [];
  const floorRuns: Record<Floor, Latency>[] = [];
  let serverCpuMs = 0;
  for (let run = 0; run < plan.runs; run++) {
    const tools = toolSamples();
    const floorTimes = floorSamples();
    for (let i = 0; i < plan.calls; i++) {
      const cpuBefore = backend.cpuMs();
      await toolRound(sequential, tools);
      serverCpuMs += backend.cpuMs() - cpuBefore;
      for (const floor of FLOORS) await timed(floorTimes[floor], () => floors.probe(floor));
    }
    toolRuns.push(percentiles(tools));
    floorRuns.push(percentiles(floorTimes));
  }
  sequential.close();
  await floors.close();

  let concurrent: Record<McpTool, Latency> | undefined;
  if (plan.concurrentClients > 0) {
    const samples = toolSamples();
    const clients = Array.from({ length: plan.concurrentClients }, () => mcpCaller(endpoint, corpus.token));
    await Promise.all(
      clients.map(async (caller) => {
        for (let i = 0; i < plan.calls; i++) await toolRound(caller, samples);
        caller.close();
      }),
    );
    concurrent = percentiles(samples);
  }

  const { token: _token, userId: _userId, ...described } = corpus;
  return {
    corpus: described,
    size: plan.corpus,
    sequential: medianOfRuns(toolRuns),
    floors: medianOfRuns(floorRuns),
    serverCpuPerCallMs: serverCpuMs / (plan.runs * plan.calls * MCP_TOOLS.length),
    concurrent,
    failures,
  };
}

const toolSamples = (): Samples<McpTool> => ({
  add_task: [],
  list_tasks: [],
  search_tasks: [],
  "search_tasks misspelt": [],
});

/** The word with its second-to-last letter dropped ("dentist" → "dentit"), as a hurried typist writes it. */
const misspelt = (word: string) => word.slice(0, -2) + word.slice(-1);
const floorSamples = (): Samples<Floor> => ({ http: [], query: [], commit: [] });

function percentiles<K extends string>(samples: Samples<K>): Record<K, Latency> {
  const entries = Object.entries<number[]>(samples).map(([key, values]) => [
    key,
    { p50: percentile(values, 0.5), p99: percentile(values, 0.99) },
  ]);
  return Object.fromEntries(entries) as Record<K, Latency>;
}

function medianOfRuns<K extends string>(runs: readonly Record<K, Latency>[]): Record<K, Latency> {
  const keys = Object.keys(runs[0] ?? {}) as K[];
  const entries = keys.map((key) => [
    key,
    { p50: median(runs.map((run) => run[key].p50)), p99: median(runs.map((run) => run[key].p99)) },
  ]);
  return Object.fromEntries(entries) as Record<K, Latency>;
}

/** Nearest-rank percentile: the smallest sample with at least `q` of the samples at or below it. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

const pageLength = (answer: ToolAnswer) => {
  const tasks = answer.structuredContent?.tasks;
  return Array.isArray(tasks) ? tasks.length : -1;
};

/** A date `days` ahead, as a date alone (end of that day in the user's zone), the way people say it. */
const dueIn = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
