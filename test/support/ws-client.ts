// A WebSocket client for Node-side e2e tests, benchmarks and browser tests: records frames and waits
// for the next one a test cares about (Node 22's global WebSocket).
import { FrameQueue, type Frame } from "./frame-queue";

export type { Frame } from "./frame-queue";

export class WsClient extends FrameQueue {
  protected override defaultTimeoutMs = 15_000;

  private constructor(readonly ws: WebSocket) {
    super();
    ws.addEventListener("message", (e) => this.received(String(e.data)));
    ws.addEventListener("close", (e) => this.ended(e.code, e.reason));
  }

  static open(url: string, onFrame?: (f: Frame) => void): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new WsClient(ws);
      if (onFrame) ws.addEventListener("message", (e) => onFrame(JSON.parse(String(e.data)) as Frame));
      ws.addEventListener("open", () => resolve(client), { once: true });
      ws.addEventListener("error", () => reject(new Error(`could not connect to ${url.replace(/token=[^&]+/, "token=…")}`)), { once: true });
    });
  }

  send(frame: unknown) {
    this.ws.send(JSON.stringify(frame));
  }

  close() {
    this.ws.close(1000);
  }
}
