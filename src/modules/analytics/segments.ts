// Where a rollup counter goes: per channel (analytics_rollups) and per audience segment
// (analytics_segment_rollups: the program the end user runs, a new or a returning user). Each rollup
// statement is written once as a function of its target, so both tables count exactly the same events.

export interface RollupTarget {
  /** `<table> (creator_id, granularity, bucket, <key columns>`: the head of the INSERT's column list. */
  into: string;
  /** The key columns' values in the SELECT list. */
  key: string;
  /** Joined after the FROM list (the segments' derived table), or nothing. */
  join: string;
  /** Appended to a GROUP BY. */
  group: string;
  /** `ON CONFLICT (<primary key>)`. */
  conflict: string;
}

/**
 * The two segments of one conversation, read from D1 in the statement itself (two indexed lookups,
 * never the message mirror): its end user's running programme (active or paused, newest first) or
 * `none`, and `new` (the end user's first conversation) or `returning`.
 */
export function conversationSegments(creator: string, conversation: string): string {
  const conv = `FROM conversations sc WHERE sc.id = ${conversation} AND sc.creator_id = ${creator}`;
  return `(SELECT 'program' AS d, coalesce((SELECT e.program_id FROM program_enrollments e
             WHERE e.end_user_id = sc.end_user_id AND e.creator_id = sc.creator_id AND e.status IN ('active', 'paused')
             ORDER BY e.enrolled_at DESC LIMIT 1), 'none') AS s ${conv}
           UNION ALL
           SELECT 'user_type', CASE WHEN sc.end_user_id IS NULL THEN 'unknown'
             WHEN EXISTS (SELECT 1 FROM conversations p WHERE p.end_user_id = sc.end_user_id AND p.creator_id = sc.creator_id
               AND (p.created_at < sc.created_at OR (p.created_at = sc.created_at AND p.id < sc.id))) THEN 'returning'
             ELSE 'new' END ${conv})`;
}

/** A user who was just created runs no programme yet and is new. */
export const NEW_USER_SEGMENTS = "(SELECT 'program' AS d, 'none' AS s UNION ALL SELECT 'user_type', 'new')";

export const channelTarget = (channel: string): RollupTarget => ({
  into: "analytics_rollups (creator_id, granularity, bucket, channel",
  key: channel,
  join: "",
  group: "",
  conflict: "ON CONFLICT (creator_id, granularity, bucket, channel)",
});

export const segmentTarget = (segments: string): RollupTarget => ({
  into: "analytics_segment_rollups (creator_id, granularity, bucket, segment, dimension",
  key: "sg.s, sg.d",
  join: ` CROSS JOIN ${segments} sg`,
  group: ", sg.d, sg.s",
  conflict: "ON CONFLICT (creator_id, granularity, dimension, bucket, segment)",
});

/** Both targets of a conversation's counters (`channel` and the ids are SQL parameters such as `?2`). */
export const conversationTargets = (channel: string, creator: string, conversation: string): RollupTarget[] => [
  channelTarget(channel),
  segmentTarget(conversationSegments(creator, conversation)),
];

export const SEGMENT_DIMENSIONS = ["program", "user_type"] as const;
export type SegmentDimension = (typeof SEGMENT_DIMENSIONS)[number];
