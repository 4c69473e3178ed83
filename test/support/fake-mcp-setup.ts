/**
 * An MCP setup for the runtime's own tests, with no application behind it: a fixed token → principal map,
 * and a context that only adds who is calling. The runtime must work with any application's setup.
 */
import { defineMcp, type ToolBaseContext } from "../../runtime/define.js";

export interface FakePrincipal {
  email: string;
}

export type FakeContext = ToolBaseContext & { caller: FakePrincipal };

export function fakeMcpSetup(tokens: Readonly<Record<string, string>> = {}) {
  return defineMcp<FakePrincipal, FakeContext>({
    serverName: "fake",
    authenticate: async (_sql, token) => {
      const email = Object.hasOwn(tokens, token) ? tokens[token] : undefined;
      return email === undefined ? undefined : { email };
    },
    context: (base, caller) => ({ ...base, caller }),
    describe: (caller) => caller.email,
    tokenHelp: { missing: "ask the fake for one.", invalid: "ask the fake for another." },
  });
}
