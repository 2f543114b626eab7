// One step of a program as the builder draws it: its kind, a one-line summary, its handles, and
// the validation problems that concern it.
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { sourceHandles, type GraphNode } from "./flow-mapping";

const LABELS: Record<string, string> = {
  start: "Start",
  send_message: "Send message",
  wait: "Wait",
  question: "Question",
  condition: "Condition",
  ai_message: "AI message",
  tag: "Tag",
  award_badge: "Award badge",
  end: "End",
};
export const kindLabel = (kind: string) => LABELS[kind] ?? kind;

export function summary(kind: string, f: Record<string, unknown>): string {
  const s = (v: unknown) => (v === undefined || v === "" ? "" : String(v));
  switch (kind) {
    case "send_message":
      return s(f.message) || "(no message yet)";
    case "question":
      return s(f.question) ? `${s(f.question)} → ${s(f.key) || "?"}` : "(no question yet)";
    case "wait":
      return [f.days && `${s(f.days)} d`, f.hours && `${s(f.hours)} h`, f.minutes && `${s(f.minutes)} min`, f.until_local_time && `until ${s(f.until_local_time)}`].filter(Boolean).join(" ") || "(no duration)";
    case "condition":
      return s(f.field) ? `${s(f.field)} ${s(f.operator)} ${s(f.value)}` : "(no condition yet)";
    case "ai_message":
      return s(f.prompt) || "(no prompt yet)";
    case "tag":
      return `${s(f.action) || "add"} ${s(f.tag)}`;
    case "award_badge":
      return s(f.badge_name) || s(f.badge_id) || "(no badge yet)";
    default:
      return "";
  }
}

export type StepData = GraphNode["data"] & { problems?: string[] };

export function StepNode({ data, selected }: NodeProps & { data: StepData }) {
  const handles = sourceHandles(data.kind);
  const problems = data.problems ?? [];
  return (
    <div className={`flow-node${selected ? " selected" : ""}${problems.length ? " invalid" : ""}`}>
      {data.kind !== "start" && <Handle type="target" position={Position.Top} />}
      <div className="type">{kindLabel(data.kind)}</div>
      <div>{summary(data.kind, data.fields)}</div>
      {problems.length > 0 && (
        <ul aria-label="Problems">
          {problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
      {handles.map((h, i) => (
        <Handle
          key={h ?? "next"}
          type="source"
          position={Position.Bottom}
          id={h ?? undefined}
          style={handles.length > 1 ? { left: `${((i + 1) / (handles.length + 1)) * 100}%` } : undefined}
          title={h ?? "next"}
        />
      ))}
    </div>
  );
}
