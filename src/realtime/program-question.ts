// Whether the conversation's end user has a program question waiting for an answer, as far as this
// object knows: asked of programs once, then trusted until programs say it changed (the
// `programQuestionChanged` RPC). Memory only: a fresh instance simply asks again.

/** A safety net should a change notice be lost (the RPC failed): the cached answer is re-asked after this. */
const TRUST_MS = 5 * 60_000;

export class ProgramQuestionCache {
  private known: { pending: boolean; at: number } | null = null;
  /** Bumped by every change notice: an answer asked before a notice must not be cached after it. */
  private generation = 0;

  /** true / false when known, undefined when programs must be asked. */
  get(now = Date.now()): boolean | undefined {
    if (this.known && now - this.known.at < TRUST_MS) return this.known.pending;
    return undefined;
  }

  /** A ticket for an ask that starts now; `learn` with it keeps the answer only if nothing changed meanwhile. */
  ask(): number {
    return this.generation;
  }

  learn(ticket: number, pending: boolean | undefined, now = Date.now()): void {
    if (ticket !== this.generation) return;
    this.known = pending === undefined ? null : { pending, at: now };
  }

  /** Programs: an enrolment of this end user started or stopped waiting for an answer. */
  changed(): void {
    this.generation++;
    this.known = null;
  }
}
