// A WebSocket client for Node-side e2e tests, benchmarks and browser tests: records frames and waits
// for the next one a test cares about (Node 22's global WebSocket).
export type Frame = { type: string; [k: string]: any };

export class WsClient {
  readonly frames: Frame[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (e) => {
      this.frames.push(JSON.parse(String(e.data)) as Frame);
      this.wake();
    });
    ws.addEventListener("close", () => {
      this.closed = true;
      this.wake();
    });
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

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  send(frame: unknown) {
    this.ws.send(JSON.stringify(frame));
  }

  async next(match: string | ((f: Frame) => boolean), timeoutMs = 15_000): Promise<Frame> {
    const pred = typeof match === "string" ? (f: Frame) => f.type === match : match;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.cursor; i < this.frames.length; i++) {
        const f = this.frames[i]!;
        if (pred(f)) {
          this.frames.splice(i, 1);
          this.frames.splice(this.cursor, 0, f);
          this.cursor++;
          return f;
        }
      }
      if (this.closed) throw new Error(`socket closed while waiting for ${String(match)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(match)}; got ${JSON.stringify(this.frames.slice(this.cursor)).slice(0, 500)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 250);
      });
    }
  }

  async say(id: string, text: string): Promise<number> {
    this.send({ type: "message", id, text });
    const f = await this.next((x) => (x.type === "ack" || x.type === "error") && x.id === id);
    if (f.type !== "ack") throw new Error(`refused: ${JSON.stringify(f)}`);
    return f.seq as number;
  }

  close() {
    this.ws.close(1000);
  }
}
