// "Your task is done": a mail to the member who started it for now; the notifications module (in-app)
// replaces the body of this one function when it lands.
import { eq } from "drizzle-orm";
import { getDb } from "../../db/client";
import { members } from "../../db/schema";
import type { Env } from "../../env";
import { config } from "../../config";
import { mailSender } from "../../lib/mail";
import { getTask } from "./service";
import type { TaskParams } from "./service";

export async function notifyTaskDone(env: Env, p: TaskParams, title: string): Promise<void> {
  const task = await getTask(env, p.creatorId, p.taskId);
  const member = await getDb(env.DB).select({ email: members.email }).from(members).where(eq(members.id, task.createdBy)).get();
  if (!member) return;
  await mailSender(env).send({
    to: member.email,
    subject: `EdgeCoach: your ${task.kind} task is ready`,
    text: `"${title}" has finished.\n\nResults: ${config(env).publicBaseUrl}/api/v1/tasks/${task.id}/results`,
  });
}
