/**
 * The API port, with the ability to go away and come back on the same port (the `unreachableFor`
 * fault): closing the listening socket makes new connections fail with ECONNREFUSED, exactly what an
 * app sees while daprd restarts. Idle keep-alive connections are closed too, or a pooled connection
 * would keep working and hide the outage.
 */
import { createServer, type RequestListener, type Server } from "node:http";
import { sleep } from "./http.js";

export class Listener {
  private readonly server: Server;
  private boundPort = 0;
  private host = "127.0.0.1";
  private outage: Promise<void> | undefined;
  private closed = false;

  constructor(handler: RequestListener) {
    this.server = createServer(handler);
    // daprd answers slow deliveries for long; do not let Node cut long requests.
    this.server.requestTimeout = 0;
  }

  get port(): number {
    return this.boundPort;
  }

  /** True while connections are refused; answers in progress then close their connection. */
  get down(): boolean {
    return this.outage !== undefined;
  }

  async listen(port: number, host: string): Promise<number> {
    this.host = host;
    // Each outcome removes the other listener: unreachableFor retries a failed listen up to 20 times, and
    // leftover "listening" callbacks would pile up (and fire on a later success).
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error) => {
        this.server.off("listening", listening);
        reject(error);
      };
      const listening = () => {
        this.server.off("error", failed);
        resolve();
      };
      this.server.once("error", failed).once("listening", listening);
      this.server.listen(port, host);
    });
    const address = this.server.address();
    this.boundPort = typeof address === "object" && address !== null ? address.port : port;
    return this.boundPort;
  }

  /** Refuses connections for `ms`, then listens again on the same port. Overlapping calls share one outage. */
  unreachableFor(ms: number): Promise<void> {
    this.outage ??= (async () => {
      this.server.close();
      this.server.closeIdleConnections();
      await sleep(ms);
      // The port was ours a moment ago; retry briefly in case the OS has not released it yet.
      for (let attempt = 0; !this.closed; attempt++) {
        try {
          await this.listen(this.boundPort, this.host);
          return;
        } catch (err) {
          if (attempt >= 20) throw err;
          await sleep(50);
        }
      }
    })().finally(() => {
      this.outage = undefined;
    });
    return this.outage;
  }

  async close(): Promise<void> {
    this.closed = true;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
