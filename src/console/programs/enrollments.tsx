// One program's enrolments (GET /api/v1/programs/{id}/enrollments): who, state, current step,
// started, progress; pause, resume or cancel each (the user's enrolment routes).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../api/client";
import type { Pagination } from "../api/types";
import { DataTable } from "../ui/data-table";
import { ErrorNote, Select } from "../ui/forms";
import { StatusBadge } from "../ui/layout";
import { programKeys } from "./queries";
import { kindLabel } from "./step-node";

export interface ProgramEnrollment {
  enrollment_id: string;
  version: number;
  status: "active" | "paused" | "completed" | "cancelled";
  user: { id: string; display_name: string | null; channel: string; external_id: string };
  progress: number;
  current_step: { node_id: string; type: string; waiting_for: "answer" | "time" | null; due_at: string | null } | null;
  enrolled_at: string;
}

type Action = "pause" | "resume" | "cancel";
/** What can be done to an enrolment in each state (the API refuses the rest with 409). */
export const ACTIONS: Record<ProgramEnrollment["status"], Action[]> = { active: ["pause", "cancel"], paused: ["resume", "cancel"], completed: [], cancelled: [] };
const ACTION_LABEL: Record<Action, string> = { pause: "Pause", resume: "Resume", cancel: "Cancel" };

/** "Question · waiting for an answer", "Wait · until 3 Dec, 09:00" (pure). */
export function stepText(step: ProgramEnrollment["current_step"]): string {
  if (!step) return "—";
  const kind = kindLabel(step.type);
  if (step.waiting_for === "answer") return `${kind} · waiting for an answer`;
  if (step.waiting_for === "time" && step.due_at) return `${kind} · until ${new Date(step.due_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })}`;
  return kind;
}

export function ProgramEnrollments({ programId }: { programId: string }) {
  const qc = useQueryClient();
  const [status, setStatus] = useState("");
  const key = [...programKeys.one(programId), "enrollments", status] as const;
  const list = useQuery({
    queryKey: key,
    queryFn: () => api<{ enrollments: ProgramEnrollment[]; pagination: Pagination }>(`/api/v1/programs/${programId}/enrollments?limit=100${status ? `&status=${status}` : ""}`),
  });
  const act = useMutation({
    mutationFn: ({ userId, action }: { userId: string; action: Action }) => api(`/api/v1/users/${userId}/programs/${programId}/${action}`, { method: "POST" }),
    onSettled: () => void qc.invalidateQueries({ queryKey: [...programKeys.one(programId), "enrollments"] }),
  });
  // A widget visitor without a name is known by the end of their random id.
  const name = (e: ProgramEnrollment) => e.user.display_name ?? (e.user.channel === "web" ? `Visitor ${e.user.external_id.slice(-6)}` : e.user.external_id);
  return (
    <section className="card" aria-labelledby="enrollments-title">
      <div className="page-head">
        <h2 id="enrollments-title">Enrolments{list.data ? ` (${list.data.pagination.total})` : ""}</h2>
        <Select label="State" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">All</option>
          <option value="active">Active</option>
          <option value="paused">Paused</option>
          <option value="completed">Completed</option>
          <option value="cancelled">Cancelled</option>
        </Select>
      </div>
      <ErrorNote error={list.error ?? act.error} />
      <DataTable
        label="Enrolments of this program"
        rows={list.data?.enrollments}
        rowKey={(e) => e.enrollment_id}
        empty={list.isPending ? "Loading…" : status ? "No enrolment in this state." : "Nobody is enrolled yet: people join from the Audience page, a rule, or automatically when the program enrols new users."}
        columns={[
          { header: "User", rowHeader: true, cell: (e) => `${name(e)} (${e.user.channel})` },
          { header: "State", cell: (e) => <StatusBadge status={e.status} /> },
          { header: "Current step", cell: (e) => stepText(e.current_step) },
          { header: "Progress", cell: (e) => `${Math.round(e.progress * 100)}%` },
          { header: "Started", cell: (e) => new Date(e.enrolled_at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) },
          {
            header: "Actions",
            hideHeader: true,
            className: "actions",
            cell: (e) =>
              ACTIONS[e.status].map((action) => (
                <button
                  key={action}
                  type="button"
                  className={action === "cancel" ? "danger" : undefined}
                  disabled={act.isPending}
                  aria-label={`${ACTION_LABEL[action]} ${name(e)}'s enrolment`}
                  onClick={() => (action !== "cancel" || confirm(`Cancel ${name(e)}'s enrolment? It can't be resumed.`)) && act.mutate({ userId: e.user.id, action })}
                >
                  {ACTION_LABEL[action]}
                </button>
              )),
          },
        ]}
      />
    </section>
  );
}
