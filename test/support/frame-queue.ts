// The frame bookkeeping both WebSocket test clients share (workerd's in test/realtime.ts, Node's in
// test/support/ws-client.ts): record every frame, let a test wait for the next one it cares about.
export type Frame = { type: string; [k: string]: any };

export abstract class FrameQueue {
  readonly frames: Frame[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | null = null;
  protected defaultTimeoutMs = 10_000;

  abstract send(frame: unknown): void;

  protected received(data: string): void {
    this.frames.push(JSON.parse(data) as Frame);
    this.wake();
  }

  protected ended(code: number, reason: string): void {
    this.closed = { code, reason };
    this.wake();
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The next not-yet-consumed frame matching `match` (frames before it stay available to later waits). */
  async next(match: string | ((f: Frame) => boolean), opts: { what?: string; timeoutMs?: number } = {}): Promise<Frame> {
    const pred = typeof match === "string" ? (f: Frame) => f.type === match : match;
    const what = opts.what ?? String(match);
    const deadline = Date.now() + (opts.timeoutMs ?? this.defaultTimeoutMs);
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
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`no ${what} frame; got ${JSON.stringify(this.frames.slice(this.cursor)).slice(0, 500)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  /** Sends a message and waits for its ack; an error frame for the id throws. */
  async say(id: string, text: string): Promise<number> {
    this.send({ type: "message", id, text });
    const ack = await this.next((f) => (f.type === "ack" || f.type === "error") && f.id === id, { what: `ack ${id}` });
    if (ack.type !== "ack") throw new Error(`message ${id} refused: ${JSON.stringify(ack)}`);
    return ack.seq as number;
  }
}
