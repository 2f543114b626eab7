// The engagement score of an end user, as one SQL expression (so lists can sort by it).
//
// engagement_score = 0.6 × min(1, user messages in the last 30 days / 20)
//                  + 0.4 × max(0, 1 − days since last activity / 30)      (0 when never active)
// rounded to 2 decimals, in 0..1. Twenty messages a month is "fully engaged" for a coaching
// audience; recency decays linearly to 0 over 30 days.
export const ENGAGEMENT_WINDOW_DAYS = 30;
export const ENGAGEMENT_FULL_MESSAGES = 20;

/** SQL for the score of end user row `u`; binds: ?since (ISO, now − 30 d), ?now (ISO). */
export const engagementSql = (sinceParam: string, nowParam: string) => `ROUND(
  0.6 * MIN(1.0, (SELECT count(*) FROM conversations c JOIN messages m ON m.conversation_id = c.id
                   WHERE c.end_user_id = u.id AND m.sender = 'user' AND m.created_at >= ${sinceParam}) / ${ENGAGEMENT_FULL_MESSAGES}.0)
  + 0.4 * (CASE WHEN u.last_active_at IS NULL THEN 0.0
               ELSE MAX(0.0, 1.0 - (julianday(${nowParam}) - julianday(u.last_active_at)) / ${ENGAGEMENT_WINDOW_DAYS}.0) END), 2)`;
