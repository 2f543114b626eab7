// A program's flow_definition (creator-hub-api.md: nodes with position {x,y}, edges with an optional
// source_handle) ↔ React Flow's nodes and edges. Pure data, so it is unit-tested without a browser.

// The server's own types (type-only: erased from the bundle, so no server code reaches the browser).
import type { FlowDefinition, FlowEdge, FlowNode } from "../../db/schema/programs";

export type { FlowDefinition, FlowEdge, FlowNode };

/** The shape React Flow draws (a subset of its Node/Edge types, so this file needs no React). */
export interface GraphNode {
  id: string;
  type: "step";
  position: { x: number; y: number };
  data: { kind: string; fields: Record<string, unknown> };
}
export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  label?: string;
}

export const NODE_KINDS = ["start", "send_message", "wait", "question", "condition", "ai_message", "tag", "award_badge", "end"] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** The handles a node's edges leave from: branching nodes name them, the others have one unnamed handle. */
export function sourceHandles(kind: string): (string | null)[] {
  if (kind === "end") return [];
  if (kind === "condition") return ["true", "false"];
  if (kind === "question") return ["answer", "timeout"];
  return [null];
}

const COLUMN = 260;
const ROW = 140;

/** Nodes saved without a position (made over the API) get one: a grid in the order they were listed. */
function fallbackPosition(index: number): { x: number; y: number } {
  return { x: (index % 3) * COLUMN, y: Math.floor(index / 3) * ROW };
}

export function toGraph(flow: FlowDefinition): { nodes: GraphNode[]; edges: GraphEdge[] } {
  return {
    nodes: flow.nodes.map((n, i) => ({
      id: n.id,
      type: "step",
      position: n.position ?? fallbackPosition(i),
      data: { kind: n.type, fields: { ...n.data } },
    })),
    edges: flow.edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      sourceHandle: e.source_handle ?? null,
      ...(e.source_handle ? { label: e.source_handle } : {}),
    })),
  };
}

/** Drops empty strings from node data: an untouched optional field must not fail strict validation. */
function cleanFields(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== "" && v !== undefined && v !== null));
}

export function toFlow(nodes: GraphNode[], edges: GraphEdge[]): FlowDefinition {
  return {
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.data.kind,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      data: cleanFields(n.data.fields),
    })),
    edges: edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      ...(e.sourceHandle ? { source_handle: e.sourceHandle } : {}),
    })),
  };
}

/** A fresh id for a node of this kind that no node in the graph has. */
export function nextNodeId(nodes: { id: string }[], kind: string): string {
  const taken = new Set(nodes.map((n) => n.id));
  for (let i = 1; ; i++) if (!taken.has(`${kind}_${i}`)) return `${kind}_${i}`;
}

/**
 * Connects source (through handle) to target, replacing the edge already leaving that handle: every
 * handle leads to one next step, as the server's publish check requires.
 */
export function connect(edges: GraphEdge[], source: string, handle: string | null, target: string): GraphEdge[] {
  const kept = edges.filter((e) => !(e.source === source && (e.sourceHandle ?? null) === handle));
  const id = `e_${source}_${handle ?? "next"}_${target}`;
  return [...kept, { id, source, target, sourceHandle: handle, ...(handle ? { label: handle } : {}) }];
}

/** A three-step starter so a new program opens with something to edit (its message is to be written: a draft may lack it). */
export function starterFlow(): FlowDefinition {
  return {
    nodes: [
      { id: "start", type: "start", position: { x: 0, y: 0 }, data: {} },
      { id: "send_message_1", type: "send_message", position: { x: 0, y: ROW }, data: {} },
      { id: "end", type: "end", position: { x: 0, y: ROW * 2 }, data: {} },
    ],
    edges: [
      { id: "e_start_next_send_message_1", source: "start", target: "send_message_1" },
      { id: "e_send_message_1_next_end", source: "send_message_1", target: "end" },
    ],
  };
}
