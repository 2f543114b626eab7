// The AI replies a conversation owes, run one at a time in order. Memory only: what is owed durably
// is the state's pendingReplyFor (written with the user message); this queue says which of those
// this instance has already taken on, so an eviction's lost reply is re-run once, never twice here.
export class ReplyQueue {
  private chain: Promise<void> = Promise.resolve();
  private readonly taken = new Set<number>();

  constructor(
    private readonly run: (userSeq: number) => Promise<void>,
    private readonly failed: (userSeq: number, err: unknown) => void,
  ) {}

  /** This instance is (or will be) answering the message with this seq. */
  has(userSeq: number): boolean {
    return this.taken.has(userSeq);
  }

  /** Claims a reply before it is queued (while programs look at the message), so nothing else starts it. */
  hold(userSeq: number): void {
    this.taken.add(userSeq);
  }

  release(userSeq: number): void {
    this.taken.delete(userSeq);
  }

  queue(userSeq: number): void {
    this.taken.add(userSeq);
    this.chain = this.chain
      .then(() => this.run(userSeq))
      .finally(() => this.taken.delete(userSeq))
      .catch((err: unknown) => this.failed(userSeq, err));
  }

  /** Resolves when every reply queued so far has finished (stored or failed). */
  idle(): Promise<void> {
    return this.chain;
  }
}
