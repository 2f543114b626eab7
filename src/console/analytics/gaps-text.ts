// A knowledge gap's trend and reasons in words (pure, unit-tested).
export interface KnowledgeGap {
  id: string;
  title: string;
  count: number;
  previous_count: number;
  trend: "new" | "increasing" | "decreasing" | "stable";
  change_rate: number | null;
  reasons: { fallback: number; handover: number; low_rating: number };
  examples: string[];
  last_asked_at: string;
  conversation_ids?: string[];
}

/** "↑ 200 % vs. before", "new this period", … (pure, unit-tested). */
export function trendText(g: Pick<KnowledgeGap, "trend" | "change_rate">): string {
  if (g.trend === "new" || g.change_rate === null) return "new this period";
  const pct = Math.round(Math.abs(g.change_rate) * 100);
  return g.trend === "increasing" ? `up ${pct} % on the period before` : g.trend === "decreasing" ? `down ${pct} % on the period before` : "about as often as before";
}

/** Why the questions count, in words: "3 unanswered, 1 handover". */
export function reasonsText(r: KnowledgeGap["reasons"]): string {
  const parts = [
    r.fallback && `${r.fallback} unanswered`,
    r.handover && `${r.handover} ${r.handover === 1 ? "handover" : "handovers"}`,
    r.low_rating && `${r.low_rating} low ${r.low_rating === 1 ? "rating" : "ratings"}`,
  ].filter(Boolean);
  return parts.join(", ");
}
