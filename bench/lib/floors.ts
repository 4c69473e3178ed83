/**
 * What any call pays before taskbeat does anything of its own, timed in the same rounds as the tools so
 * they meet the same noise: an HTTP round trip to the serve process (`GET /healthz`, keep-alive), a
 * database round trip (`select 1`), and a durable commit of a one-row insert (the WAL flush every write
 * waits for: add_task's floor, whatever the code does).
 */
import { Agent, request } from "node:http";
import type { Sql } from "postgres";

export const FLOORS = ["http", "query", "commit"] as const;
export type Floor = (typeof FLOORS)[number];

export interface FloorProbe {
  probe(floor: Floor): Promise<void>;
  close(): Promise<void>;
}

export async function floorProbe(baseUrl: string, sql: Sql): Promise<FloorProbe> {
  const url = new URL("/healthz", baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  await sql`create table mcp_commit_floor (n integer)`;
  const ping = () =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, agent }, (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`healthz ${res.statusCode}`)),
        );
      });
      req.on("error", reject);
      req.end();
    });
  const probes: Record<Floor, () => Promise<unknown>> = {
    http: ping,
    query: () => sql`select 1`,
    commit: () => sql.begin((tx) => tx`insert into mcp_commit_floor values (1)`),
  };
  return {
    probe: async (floor) => {
      await probes[floor]();
    },
    close: async () => {
      agent.destroy();
      await sql`drop table mcp_commit_floor`;
    },
  };
}
