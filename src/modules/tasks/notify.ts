// "Your task is done": an in-app notification (pushed live through the inbox stream) and a mail to
// the member who started it.
import { eq } from "drizzle-orm";
import { getDb } from "../../db/client";
import { members } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { log } from "../../lib/logging";
import { mailSender } from "../../lib/mail";
import { notify } from "../notifications";
import { getTask } from "./service";
import type { TaskParams } from "./service";

export async function notifyTaskDone(env: Env, p: TaskParams, title: string): Promise<void> {
  const task = await getTask(env, p.creatorId, p.taskId);
  const member = await getDb(env.DB).select({ email: members.email }).from(members).where(eq(members.id, task.createdBy)).get();
  if (!member) return;
  await notify(env, p.creatorId, {
    kind: "task_completed",
    title: `Your ${task.kind} task is ready`,
    body: title,
    data: { task_id: task.id, kind: task.kind },
    memberId: task.createdBy,
  }).catch((err: unknown) => log("warn", "task notification not written", { creator_id: p.creatorId, error: String(err) }));
  await mailSender(env).send({
    to: member.email,
    subject: `EdgeCoach: your ${task.kind} task is ready`,
    text: `"${title}" has finished.\n\nResults: ${config(env).publicBaseUrl}/api/v1/tasks/${task.id}/results`,
  });
}
