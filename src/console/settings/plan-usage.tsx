// The plan and its usage (GET /api/v1/auth/dashboard): each counted limit today and this month,
// the gauges (documents, members…), with a meter per line.
import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { ErrorNote } from "../ui/forms";

interface Usage {
  used: number;
  limit: number | null;
  remaining: number | null;
}
interface Dashboard {
  subscription_tier: string;
  metering: boolean;
  period: { day_resets_at: string; month_resets_at: string };
  usage: Record<string, Usage | { day: Usage; month: Usage }>;
  sessions: { active: number };
  conversations: { total: number; active: number };
}

const label = (k: string) => k.replace(/_/g, " ");

function Meter({ u, name }: { u: Usage; name: string }) {
  return (
    <>
      {u.used} / {u.limit ?? "∞"}
      {u.limit !== null && <meter min={0} max={u.limit} value={Math.min(u.used, u.limit)} high={u.limit * 0.8} aria-label={`${name}: ${u.used} of ${u.limit}`} />}
    </>
  );
}

export function PlanUsage() {
  const d = useQuery({ queryKey: ["plan-dashboard"], queryFn: () => api<Dashboard>("/api/v1/auth/dashboard") });
  return (
    <section className="card" aria-labelledby="plan-title">
      <h2 id="plan-title">Plan and usage</h2>
      <ErrorNote error={d.error} />
      {d.data && (
        <>
          <p>
            Plan <strong data-testid="plan-tier">{d.data.subscription_tier}</strong>
            {!d.data.metering && <span className="muted"> · limits are not enforced on this server</span>} · {d.data.conversations.active} active
            conversations · {d.data.sessions.active} signed-in sessions
          </p>
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Usage">
            <table>
              <caption className="visually-hidden">Usage against the plan's limits</caption>
              <thead>
                <tr>
                  <th scope="col">Limit</th>
                  <th scope="col">Today</th>
                  <th scope="col">This month / now</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(d.data.usage).map(([k, u]) => (
                  <tr key={k}>
                    <th scope="row">{label(k)}</th>
                    {"day" in u ? (
                      <>
                        <td>
                          <Meter u={u.day} name={`${label(k)} today`} />
                        </td>
                        <td>
                          <Meter u={u.month} name={`${label(k)} this month`} />
                        </td>
                      </>
                    ) : (
                      <>
                        <td>—</td>
                        <td>
                          <Meter u={u} name={label(k)} />
                        </td>
                      </>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted">Daily counts reset {new Date(d.data.period.day_resets_at).toLocaleString()}, monthly ones {new Date(d.data.period.month_resets_at).toLocaleDateString()}.</p>
        </>
      )}
    </section>
  );
}
