// The side panel's form for the selected step: its fields, and where each of its handles leads
// (so a flow can be wired with the keyboard alone, not only by dragging edges).
import type { GraphEdge, GraphNode } from "./flow-mapping";
import { sourceHandles } from "./flow-mapping";
import { kindLabel } from "./step-node";
import { Field, Select, TextArea } from "../ui/forms";

const OPERATORS = ["equals", "not_equals", "contains", "not_contains", "exists", "not_exists", "gt", "gte", "lt", "lte"];

interface Props {
  node: GraphNode;
  nodes: GraphNode[];
  edges: GraphEdge[];
  problems: string[];
  onFields: (fields: Record<string, unknown>) => void;
  onConnect: (handle: string | null, target: string) => void;
  onDelete: () => void;
}

export function NodeForm({ node, nodes, edges, problems, onFields, onConnect, onDelete }: Props) {
  const f = node.data.fields;
  const set = (key: string, numeric = false) => (e: { target: { value: string } }) =>
    onFields({ ...f, [key]: numeric ? (e.target.value === "" ? "" : Number(e.target.value)) : e.target.value });
  const text = (key: string) => String(f[key] ?? "");
  const fields = (() => {
    switch (node.data.kind) {
      case "send_message":
        return <TextArea label="Message" value={text("message")} onChange={set("message")} rows={4} maxLength={4000} />;
      case "ai_message":
        return <TextArea label="Prompt for the assistant" value={text("prompt")} onChange={set("prompt")} rows={4} maxLength={4000} />;
      case "question":
        return (
          <>
            <TextArea label="Question" value={text("question")} onChange={set("question")} rows={3} maxLength={4000} />
            <Field label="Save the answer as" value={text("key")} onChange={set("key")} hint="A profile key, like goal or weight_kg." />
            <Field label="Timeout (hours, optional)" type="number" min={0} value={text("timeout_hours")} onChange={set("timeout_hours", true)} />
          </>
        );
      case "wait":
        return (
          <>
            <Field label="Days" type="number" min={0} value={text("days")} onChange={set("days", true)} />
            <Field label="Hours" type="number" min={0} value={text("hours")} onChange={set("hours", true)} />
            <Field label="Minutes" type="number" min={0} value={text("minutes")} onChange={set("minutes", true)} />
            <Field label="Until local time (HH:MM, optional)" value={text("until_local_time")} onChange={set("until_local_time")} />
          </>
        );
      case "condition":
        return (
          <>
            <Field label="Field" value={text("field")} onChange={set("field")} hint="profile.<key>, answers.<key>, tags, channel or language" />
            <Select label="Operator" value={text("operator")} onChange={set("operator")}>
              <option value="">Choose…</option>
              {OPERATORS.map((o) => (
                <option key={o} value={o}>
                  {o.replace("_", " ")}
                </option>
              ))}
            </Select>
            <Field label="Value" value={text("value")} onChange={set("value")} />
          </>
        );
      case "tag":
        return (
          <>
            <Field label="Tag" value={text("tag")} onChange={set("tag")} />
            <Select label="Action" value={text("action") || "add"} onChange={set("action")}>
              <option value="add">Add</option>
              <option value="remove">Remove</option>
            </Select>
          </>
        );
      case "award_badge":
        return (
          <>
            <Field label="Badge id" value={text("badge_id")} onChange={set("badge_id")} />
            <Field label="Badge name" value={text("badge_name")} onChange={set("badge_name")} />
          </>
        );
      default:
        return null;
    }
  })();
  const targets = nodes.filter((n) => n.id !== node.id && n.data.kind !== "start");
  return (
    <section className="card" aria-labelledby="node-form-title">
      <h2 id="node-form-title">
        {kindLabel(node.data.kind)} <span className="muted">({node.id})</span>
      </h2>
      {problems.length > 0 && (
        <ul className="field-error" aria-label="Problems with this step">
          {problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
      {fields}
      {sourceHandles(node.data.kind).map((h) => {
        const current = edges.find((e) => e.source === node.id && (e.sourceHandle ?? null) === h)?.target ?? "";
        return (
          <Select key={h ?? "next"} label={h ? `Then, on “${h}”` : "Then go to"} value={current} onChange={(e) => e.target.value && onConnect(h, e.target.value)}>
            <option value="">(not connected)</option>
            {targets.map((t) => (
              <option key={t.id} value={t.id}>
                {kindLabel(t.data.kind)} — {t.id}
              </option>
            ))}
          </Select>
        );
      })}
      {node.data.kind !== "start" && (
        <button type="button" className="danger" onClick={onDelete}>
          Delete this step
        </button>
      )}
    </section>
  );
}
