// The Workflow that runs a task: durable steps (retrieve → summarise → compose → notify), each retried
// on failure; progress and state go to the task's D1 row, a cancelled task stops at its next step.
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { Env } from "../../env";
import { composeSummary, retrieveConversations, retrieveKnowledge, summariseConversations, summariseKnowledge, taskInput } from "./reports";
import type { AnalyzeInput, ResearchInput } from "./schemas";
import { failTask, finishTask, markStep, type TaskParams } from "./service";
import { notifyTaskDone } from "./notify";

const RETRY = { retries: { limit: 3, delay: "2 seconds" as const, backoff: "exponential" as const }, timeout: "5 minutes" as const };

class Cancelled extends Error {}

export class TaskWorkflow extends WorkflowEntrypoint<Env, TaskParams> {
  override async run(event: Readonly<WorkflowEvent<TaskParams>>, step: WorkflowStep): Promise<unknown> {
    const p = event.payload;
    const go = async (name: string, progress: number) => {
      if (!(await markStep(this.env, p, name, progress))) throw new Cancelled();
    };
    try {
      // The input travels between steps as JSON text: step results must be serializable.
      const loaded = await step.do("load", RETRY, async () => {
        await go("retrieve", 5);
        const row = await taskInput(this.env, p);
        return { kind: row.kind, input: JSON.stringify(row.input) };
      });
      const task = { kind: loaded.kind, input: JSON.parse(loaded.input) as unknown };
      let report: Record<string, unknown>;
      if (task.kind === "analyze") {
        const input = task.input as AnalyzeInput;
        const material = await step.do("retrieve", RETRY, async () => retrieveConversations(this.env, p, input));
        const summary = await step.do("summarise", RETRY, async () => {
          await go("summarise", 40);
          return summariseConversations(input.question, material);
        });
        report = await step.do("compose", RETRY, async () => {
          await go("compose", 75);
          const written = await composeSummary(this.env, input.question, summary.findings.map((f) => f.text));
          return { title: `Analysis: ${input.question}`, question: input.question, ...written, ...summary, generated_at: new Date().toISOString() };
        });
      } else {
        const input = task.input as ResearchInput;
        const hits = await step.do("retrieve", RETRY, async () => retrieveKnowledge(this.env, p, input));
        const summary = await step.do("summarise", RETRY, async () => {
          await go("summarise", 40);
          return summariseKnowledge(input.topic, hits);
        });
        report = await step.do("compose", RETRY, async () => {
          await go("compose", 75);
          const written = await composeSummary(this.env, input.topic, summary.sections.flatMap((s) => s.key_points));
          return { title: `Research: ${input.topic}`, topic: input.topic, ...written, ...summary, generated_at: new Date().toISOString() };
        });
      }
      const finished = await step.do("save", RETRY, async () => finishTask(this.env, p, report));
      if (finished) await step.do("notify", RETRY, async () => notifyTaskDone(this.env, p, String(report.title)));
      return { ok: finished };
    } catch (err) {
      if (err instanceof Cancelled) return { cancelled: true };
      await step.do("record failure", async () => failTask(this.env, p, String((err as Error)?.message ?? err)));
      throw err;
    }
  }
}
