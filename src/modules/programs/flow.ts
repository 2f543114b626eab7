// Flow definitions: node data schemas per type, validation (lenient on save, strict on publish,
// every problem listed) and the graph helpers the executor uses.
import { z } from "@hono/zod-openapi";
import type { ErrorDetail } from "../../lib/errors";
import { WhatsAppTemplateSchema } from "../channels";
import type { FlowDefinition, FlowEdge, FlowNode } from "../../db/schema";

export const NODE_TYPES = ["start", "send_message", "wait", "question", "condition", "ai_message", "tag", "award_badge", "end"] as const;
export type NodeType = (typeof NODE_TYPES)[number];

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a local time HH:MM (24 h)");
const ProfileKey = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "must be a profile key (letters, digits, _; up to 64)");
const Text = (max: number) => z.string().trim().min(1).max(max);
export const CONDITION_OPERATORS = ["equals", "not_equals", "contains", "not_contains", "exists", "not_exists", "gt", "gte", "lt", "lte"] as const;
/** profile.<key> (answers are stored in the profile), answers.<key> (same place), or tags. */
const ConditionField = z.string().regex(/^((profile|answers)\.[A-Za-z][A-Za-z0-9_]{0,63}|tags|channel|language)$/, "must be profile.<key>, answers.<key>, tags, channel or language");

/** Strict data schemas (publish). Save uses the same schemas with every field optional. Nodes that
 * message the user may name a WhatsApp template: it goes instead of the text to WhatsApp users whose
 * 24-hour window is closed when the step runs. */
const NODE_DATA: Record<NodeType, z.ZodObject<z.ZodRawShape>> = {
  start: z.object({}),
  send_message: z.object({ message: Text(4000), delay_hours: z.number().min(0).max(8760).optional(), whatsapp_template: WhatsAppTemplateSchema.optional() }),
  wait: z.object({
    days: z.number().int().min(0).max(365).optional(),
    hours: z.number().min(0).max(8760).optional(),
    minutes: z.number().min(0).max(525600).optional(),
    until_local_time: HHMM.optional(),
  }),
  question: z.object({ question: Text(4000), key: ProfileKey, timeout_hours: z.number().positive().max(8760).optional(), whatsapp_template: WhatsAppTemplateSchema.optional() }),
  condition: z.object({ field: ConditionField, operator: z.enum(CONDITION_OPERATORS), value: z.union([z.string(), z.number(), z.boolean()]).optional() }),
  ai_message: z.object({ prompt: Text(4000), knowledge_base_id: z.string().uuid().optional(), whatsapp_template: WhatsAppTemplateSchema.optional() }),
  tag: z.object({ tag: Text(64), action: z.enum(["add", "remove"]).optional() }),
  award_badge: z.object({ badge_id: Text(100), badge_name: Text(200).optional() }),
  end: z.object({}),
};

export const FlowNodeSchema = z.object({
  id: z.string().min(1).max(100),
  type: z.string().min(1).max(50),
  position: z.object({ x: z.number(), y: z.number() }).optional(),
  data: z.record(z.string(), z.unknown()).default({}),
});
export const FlowEdgeSchema = z.object({
  id: z.string().min(1).max(100),
  source: z.string().min(1).max(100),
  target: z.string().min(1).max(100),
  /** condition: "true" | "false"; question: "answer" (default) | "timeout". */
  source_handle: z.string().max(50).optional(),
});
export const FlowDefinitionSchema = z
  .object({ nodes: z.array(FlowNodeSchema).max(500), edges: z.array(FlowEdgeSchema).max(2000) })
  .openapi("FlowDefinition");

const handleOf = (e: FlowEdge) => e.source_handle ?? null;
export const outgoing = (flow: FlowDefinition, nodeId: string) => flow.edges.filter((e) => e.source === nodeId);
export const nodeById = (flow: FlowDefinition, id: string) => flow.nodes.find((n) => n.id === id);

/** The edge to follow out of a node: by handle for branching nodes, else the only edge. */
export function nextNodeId(flow: FlowDefinition, nodeId: string, handle?: string): string | null {
  const edges = outgoing(flow, nodeId);
  if (handle === "timeout") return edges.find((e) => handleOf(e) === "timeout")?.target ?? null;
  if (handle === "true" || handle === "false") return edges.find((e) => handleOf(e) === handle)?.target ?? null;
  return edges.find((e) => handleOf(e) === null || handleOf(e) === "answer")?.target ?? null;
}

/**
 * Every problem of a flow, each with its path. Save checks shape, ids, types, data and edge ends;
 * publish (strict) also needs complete node data, exactly one start, every node reachable from it,
 * the right edges out of every node and no cycle that lacks a wait or a question.
 */
export function validateFlow(flow: FlowDefinition, strict: boolean, prefix = "flow_definition"): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const add = (field: string, message: string) => problems.push({ field: `${prefix}.${field}`, message });
  const ids = new Map<string, number>();
  flow.nodes.forEach((node, i) => {
    if (ids.has(node.id)) add(`nodes.${i}.id`, `duplicate node id '${node.id}'`);
    else ids.set(node.id, i);
    if (!(NODE_TYPES as readonly string[]).includes(node.type)) {
      add(`nodes.${i}.type`, `unknown node type '${node.type}' (one of ${NODE_TYPES.join(", ")})`);
      return;
    }
    const base = NODE_DATA[node.type as NodeType];
    const schema = strict ? base : base.partial();
    const parsed = schema.safeParse(node.data ?? {});
    if (!parsed.success) for (const issue of parsed.error.issues) add(`nodes.${i}.data${issue.path.length ? "." + issue.path.join(".") : ""}`, issue.message);
    if (strict && node.type === "wait") {
      const d = node.data as Record<string, unknown>;
      if (d.until_local_time === undefined && !d.days && !d.hours && !d.minutes) add(`nodes.${i}.data`, "a wait needs a duration (days, hours, minutes) or until_local_time");
    }
  });
  const edgeIds = new Set<string>();
  flow.edges.forEach((edge, i) => {
    if (edgeIds.has(edge.id)) add(`edges.${i}.id`, `duplicate edge id '${edge.id}'`);
    edgeIds.add(edge.id);
    if (!ids.has(edge.source)) add(`edges.${i}.source`, `edge '${edge.id}' starts at unknown node '${edge.source}'`);
    if (!ids.has(edge.target)) add(`edges.${i}.target`, `edge '${edge.id}' ends at unknown node '${edge.target}'`);
  });
  if (!strict) return problems;

  const starts = flow.nodes.filter((n) => n.type === "start");
  if (starts.length !== 1) add("nodes", `a flow needs exactly one start node (found ${starts.length})`);
  for (const [i, node] of flow.nodes.entries()) {
    const out = outgoing(flow, node.id);
    const at = `nodes.${i}`;
    const handles = out.map(handleOf);
    if (node.type === "end") {
      if (out.length) add(at, `end node '${node.id}' can't have outgoing edges`);
    } else if (node.type === "condition") {
      for (const h of ["true", "false"]) if (handles.filter((x) => x === h).length !== 1) add(at, `condition '${node.id}' needs exactly one '${h}' edge`);
      if (handles.some((h) => h !== "true" && h !== "false")) add(at, `condition '${node.id}' edges must have source_handle 'true' or 'false'`);
    } else if (node.type === "question") {
      const answers = handles.filter((h) => h === null || h === "answer").length;
      const timeouts = handles.filter((h) => h === "timeout").length;
      if (answers !== 1) add(at, `question '${node.id}' needs exactly one answer edge`);
      if (timeouts > 1) add(at, `question '${node.id}' has more than one timeout edge`);
      if (timeouts === 1 && (node.data as Record<string, unknown>).timeout_hours === undefined) add(at, `question '${node.id}' has a timeout edge but no timeout_hours`);
      if (handles.some((h) => h !== null && h !== "answer" && h !== "timeout")) add(at, `question '${node.id}' edges must have source_handle 'answer' or 'timeout'`);
    } else {
      if (out.length !== 1) add(at, `node '${node.id}' needs exactly one outgoing edge (found ${out.length})`);
      if (handles.some((h) => h !== null)) add(at, `node '${node.id}' can't have a source_handle on its edge`);
    }
    if (node.type === "start" && flow.edges.some((e) => e.target === node.id)) add(at, "no edge may lead back to the start node");
  }
  if (starts.length >= 1) {
    // With several starts (already an error) reachability still reports nodes no start leads to.
    const seen = new Set(starts.flatMap((s) => [...reachable(flow, s.id)]));
    flow.nodes.forEach((n, i) => {
      if (!seen.has(n.id)) add(`nodes.${i}`, `node '${n.id}' is not reachable from start`);
    });
  }
  for (const cycle of cyclesWithoutPause(flow)) add("edges", `cycle without a wait or question: ${cycle.join(" → ")}`);
  return problems;
}

function reachable(flow: FlowDefinition, from: string): Set<string> {
  const seen = new Set<string>([from]);
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    for (const e of outgoing(flow, id)) if (!seen.has(e.target)) seen.add(e.target), stack.push(e.target);
  }
  return seen;
}

/** Cycles made only of nodes that run at once (no wait, no question): they would spin forever. */
function cyclesWithoutPause(flow: FlowDefinition): string[][] {
  const pauses = new Set(flow.nodes.filter((n) => n.type === "wait" || n.type === "question").map((n) => n.id));
  const state = new Map<string, 1 | 2>();
  const found: string[][] = [];
  const path: string[] = [];
  const visit = (id: string) => {
    state.set(id, 1);
    path.push(id);
    for (const e of outgoing(flow, id)) {
      if (pauses.has(e.target) || !nodeById(flow, e.target)) continue;
      const s = state.get(e.target);
      if (s === 1) found.push([...path.slice(path.indexOf(e.target)), e.target]);
      else if (!s) visit(e.target);
    }
    path.pop();
    state.set(id, 2);
  };
  for (const n of flow.nodes) if (!pauses.has(n.id) && !state.has(n.id)) visit(n.id);
  return found;
}

/**
 * Progress of an enrolment in 0..1: steps done / (steps done + nodes left on the shortest path
 * from the current node to an end). Branches the user never takes don't count against them.
 */
export function progressOf(flow: FlowDefinition, currentNodeId: string, stepsDone: number, completed: boolean): number {
  if (completed) return 1;
  const dist = new Map<string, number>([[currentNodeId, 1]]);
  const queue = [currentNodeId];
  let remaining = 1;
  while (queue.length) {
    const id = queue.shift()!;
    const node = nodeById(flow, id);
    if (node?.type === "end" || (node && !outgoing(flow, id).length)) {
      remaining = dist.get(id)!;
      break;
    }
    for (const e of outgoing(flow, id)) if (!dist.has(e.target)) dist.set(e.target, dist.get(id)! + 1), queue.push(e.target);
  }
  const done = Math.max(0, stepsDone);
  return Math.round((done / (done + remaining)) * 1000) / 1000;
}

export type { FlowNode };
