/**
 * The sidecar's calls to the app (contract §3.1, §5.3, §7.6): every call carries `dapr-api-token` when
 * an app token is configured, has a timeout, and a connection error is reported as `status: undefined`
 * so callers apply daprd's "retriable error" rule.
 */
import { connect } from "node:net";
import { parseJsonOr } from "../json.js";
import type { Logger } from "../log.js";
import { sleep } from "./http.js";
import { type DiscoveredSubscription, parseSubscriptions } from "./subscriptions.js";

export interface AppResponse {
  /** undefined: connection refused, reset, or timed out. */
  status: number | undefined;
  body: string;
  error?: unknown;
}

export interface AppChannelOptions {
  appUrl: string;
  appId: string;
  appApiToken: string | undefined;
  timeoutMs: number;
  /** Aborted on close, so waits and calls end promptly. */
  signal: AbortSignal;
  log: Logger;
}

export class AppChannel {
  private readonly base: string;

  constructor(private readonly options: AppChannelOptions) {
    // daprd concatenates baseAddress + path, so a path prefix in the app URL is kept.
    this.base = options.appUrl.replace(/\/+$/, "");
  }

  /** daprd's blockUntilAppIsReady: poll a TCP connect to the app port until it is accepted. */
  async waitForPort(): Promise<void> {
    const url = new URL(this.base);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, "");
    let delay = 20;
    while (!this.options.signal.aborted) {
      if (await canConnect(host, port)) return;
      await sleep(delay, this.options.signal);
      delay = Math.min(delay * 2, 250);
    }
    throw new Error("sidecar closed while waiting for the app port");
  }

  async call(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer | string,
  ): Promise<AppResponse> {
    const all: Record<string, string> = { ...headers };
    if (this.options.appApiToken !== undefined) all["dapr-api-token"] = this.options.appApiToken;
    try {
      const res = await fetch(this.base + path, {
        method,
        headers: all,
        body,
        signal: AbortSignal.any([this.options.signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
      return { status: res.status, body: await res.text() };
    } catch (error) {
      return { status: undefined, body: "", error };
    }
  }

  /**
   * Reads the app's subscriptions once (contract §2.1). 404 means none; any other failure, or a body
   * that fails daprd's typed decode, is logged and also means none.
   */
  async discoverSubscriptions(): Promise<DiscoveredSubscription[]> {
    const { log } = this.options;
    const res = await this.fetchSubscriptions();
    if (res.status === 404) {
      log.debug("app has no /dapr/subscribe");
      return [];
    }
    if (res.status !== 200) {
      log.error("GET /dapr/subscribe failed; no programmatic subscriptions", {
        status: res.status,
        error: res.error,
      });
      return [];
    }
    try {
      return parseSubscriptions(parseJsonOr(res.body, undefined) ?? "not JSON", log);
    } catch (err) {
      log.error("invalid /dapr/subscribe response; no programmatic subscriptions", { error: err });
      return [];
    }
  }

  /** GET /dapr/subscribe, with daprd's built-in init retries (500 ms exponential, 3 retries) on transport errors. */
  private async fetchSubscriptions(): Promise<AppResponse> {
    const headers = { "content-type": "application/json", "dapr-app-id": this.options.appId };
    let res = await this.call("GET", "/dapr/subscribe", headers);
    for (let retry = 0, delay = 500; res.status === undefined && retry < 3; retry++, delay *= 2) {
      this.options.log.warn("GET /dapr/subscribe failed; retrying", { error: res.error, delayMs: delay });
      await sleep(delay, this.options.signal);
      res = await this.call("GET", "/dapr/subscribe", headers);
    }
    return res;
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}
