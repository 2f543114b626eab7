// A new end user (widget visitor, first channel contact): counted in the rollups and announced as
// `user.created` in one D1 batch; the event id is derived from the user, so a retried call is a no-op.
import type { Env } from "../../env";
import { dispatchActivity } from "./dispatch";
import { channelTarget, NEW_USER_SEGMENTS, segmentTarget } from "./segments";

export async function recordUserCreated(env: Env, input: { creatorId: string; endUserId: string }): Promise<void> {
  const eventId = `user_${input.endUserId}`;
  const user = `(SELECT id, channel, external_id, display_name, language, created_at FROM end_users WHERE id = ?2 AND creator_id = ?1)`;
  await env.DB.batch([
    ...[channelTarget("u.channel"), segmentTarget(NEW_USER_SEGMENTS)].map((t) =>
      env.DB.prepare(
        `INSERT INTO ${t.into}, new_users)
         SELECT ?1, k.g, substr(u.created_at, 1, k.len), ${t.key}, 1
         FROM ${user} u, (SELECT 'h' AS g, 13 AS len UNION ALL SELECT 'd', 10) k${t.join}
         WHERE NOT EXISTS (SELECT 1 FROM activity_events WHERE id = ?3)
         ${t.conflict} DO UPDATE SET new_users = new_users + 1`,
      ).bind(input.creatorId, input.endUserId, eventId),
    ),
    env.DB.prepare(
      `INSERT INTO activity_events (id, creator_id, type, data, created_at)
       SELECT ?3, ?1, 'user.created',
         json_object('user_id', u.id, 'channel', CASE u.channel WHEN 'widget' THEN 'web' ELSE u.channel END, 'external_id', u.external_id,
                     'display_name', u.display_name, 'language', u.language, 'created_at', u.created_at),
         u.created_at
       FROM ${user} u WHERE true
       ON CONFLICT (id) DO NOTHING`,
    ).bind(input.creatorId, input.endUserId, eventId),
  ]);
  await dispatchActivity(env, input.creatorId);
}
