/**
 * `taskbeat mcp --config <client>`: the entry to paste into a desktop assistant's MCP configuration.
 * Everything in it is absolute (node, the taskbeat script, TASKBEAT_HOME), because clients start their
 * servers from a directory of their own. The token is a new one, labelled with the client, issued through
 * `taskbeat users token` (the users command belongs to the application, which runtime/ does not import).
 */
import { spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { loadConfig } from "../../config.js";
import { UsageError } from "../command.js";

const CLIENTS = ["claude-desktop", "claude-code", "cursor", "vscode"] as const;
type Client = (typeof CLIENTS)[number];

export async function printClientConfig(options: {
  config?: string | undefined;
  token?: string | undefined;
  email?: string | undefined;
}): Promise<number> {
  const client = options.config as Client;
  if (!CLIENTS.includes(client)) {
    throw new UsageError(`--config takes one of ${CLIENTS.join(", ")}; got "${options.config}"`);
  }
  const config = loadConfig();
  const script = realpathSync(process.argv[1] ?? "");
  const token = options.token ?? (await issueToken(script, options.email ?? "you@localhost", client));
  const env: Record<string, string> = {
    TASKBEAT_TOKEN: token,
    ...(config.DATABASE_URL ? { DATABASE_URL: config.DATABASE_URL } : {}),
    TASKBEAT_HOME: resolve(config.TASKBEAT_HOME),
  };
  const server = { command: process.execPath, args: [script, "mcp"], env };
  process.stdout.write(`${render(client, server)}\n`);
  return 0;
}

interface Server {
  command: string;
  args: string[];
  env: Record<string, string>;
}

function render(client: Client, server: Server): string {
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  switch (client) {
    case "claude-desktop":
      return `// claude_desktop_config.json (Settings → Developer → Edit Config), in "mcpServers":\n${json({ mcpServers: { taskbeat: server } })}`;
    case "cursor":
      return `// ~/.cursor/mcp.json (or .cursor/mcp.json in a project):\n${json({ mcpServers: { taskbeat: server } })}`;
    case "vscode":
      return `// .vscode/mcp.json (or "MCP: Open User Configuration"):\n${json({ servers: { taskbeat: { type: "stdio", ...server } } })}`;
    case "claude-code":
      return [
        "claude mcp add taskbeat --scope user",
        ...Object.entries(server.env).map(([name, value]) => `--env ${shellQuote(`${name}=${value}`)}`),
        "--",
        shellQuote(server.command),
        ...server.args.map(shellQuote),
      ].join(" ");
  }
}

const shellQuote = (text: string) =>
  /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;

/** `taskbeat users token <email> --label <client>`: the token is the last line of its stdout. */
function issueToken(script: string, email: string, label: string): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, "users", "token", email, "--label", label], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.on("error", fail);
    child.on("exit", (code) => {
      const token = out.trim().split("\n").at(-1) ?? "";
      if (code === 0 && token) done(token);
      else fail(new Error(`could not issue a token for ${email} (see above); or pass --token <token>`));
    });
  });
}
