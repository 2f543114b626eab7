// Knowledge gaps (GET /api/v1/analytics/knowledge-gaps): questions the assistant could not answer,
// grouped by meaning, with examples, counts, why they count and the trend against the period before,
// and what to do about each — write the missing document (Knowledge) or read the conversations.
import { useQuery } from "@tanstack/react-query";
import { Link } from "wouter";
import { api } from "../api/client";
import { ErrorNote } from "../ui/forms";
import { Empty } from "../ui/layout";
import { reasonsText, trendText, type KnowledgeGap } from "./gaps-text";

interface GapsResponse {
  period: string;
  total_questions: number;
  previous_total_questions: number;
  gaps: KnowledgeGap[];
}

export const GAP_PERIODS = { "7d": "7d", "30d": "30d", "90d": "90d", "1y": "90d" } as const;

export function KnowledgeGaps({ period }: { period: keyof typeof GAP_PERIODS }) {
  const gapPeriod = GAP_PERIODS[period];
  const gaps = useQuery({
    queryKey: ["analytics", "knowledge-gaps", gapPeriod],
    queryFn: () => api<GapsResponse>(`/api/v1/analytics/knowledge-gaps?period=${gapPeriod}&limit=20`),
  });
  return (
    <section className="card" aria-labelledby="gaps-title">
      <h2 id="gaps-title">Knowledge gaps</h2>
      <p className="muted">
        Questions your assistant could not answer (no source, a handover, a low rating), grouped by meaning
        {gapPeriod !== period ? ", over the last 90 days" : ""}. Write the missing document and the next visitor gets an answer.
      </p>
      <ErrorNote error={gaps.error} />
      {gaps.data?.gaps.length ? (
        <ol className="gaps" aria-label="Knowledge gaps">
          {gaps.data.gaps.map((g) => (
            <li key={g.id} className="gap">
              <h3 className="gap-title">{g.title}</h3>
              <p className="gap-meta">
                <strong data-testid="gap-count">{g.count}</strong> {g.count === 1 ? "question" : "questions"} · {reasonsText(g.reasons)} ·{" "}
                <span className={`trend trend-${g.trend}`}>{trendText(g)}</span>
              </p>
              {g.examples.length > 1 && (
                <ul className="gap-examples" aria-label={`Ways it was asked: ${g.title}`}>
                  {g.examples.slice(1).map((e) => (
                    <li key={e}>“{e}”</li>
                  ))}
                </ul>
              )}
              <p className="gap-actions">
                <Link href={`/knowledge?gap=${encodeURIComponent(g.title)}`}>Write the answer: add a document</Link>
                {g.conversation_ids?.map((id, i) => (
                  <Link key={id} href={`/inbox/${id}`} aria-label={`Open conversation ${i + 1} that asked “${g.title}”`}>
                    Conversation {i + 1}
                  </Link>
                ))}
              </p>
            </li>
          ))}
        </ol>
      ) : (
        <Empty>{gaps.isPending ? "Loading…" : "No unanswered question in this period: your documents covered everything asked."}</Empty>
      )}
    </section>
  );
}
