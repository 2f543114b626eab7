// The server's validation problems (422 details with paths like flow_definition.nodes.3.data.message)
// placed on the nodes and edges they concern, so the builder can draw them where they are.
import type { FlowDefinition } from "./flow-mapping";

export interface Problem {
  field: string;
  message: string;
}

export interface PlacedProblems {
  byNode: Record<string, string[]>;
  byEdge: Record<string, string[]>;
  /** Problems of the whole flow (no single start, a cycle without a pause) or of other fields. */
  general: string[];
}

const NODE_PATH = /^flow_definition\.nodes\.(\d+)(?:\.(.+))?$/;
const EDGE_PATH = /^flow_definition\.edges\.(\d+)(?:\.(.+))?$/;

/** zod's wording for a missing field ("Invalid input: expected string, received undefined") says "required" to a coach. */
function plain(message: string): string {
  return /received undefined$/.test(message) ? "required" : message;
}

export function placeProblems(flow: FlowDefinition, problems: Problem[]): PlacedProblems {
  const placed: PlacedProblems = { byNode: {}, byEdge: {}, general: [] };
  for (const raw of problems) {
    const p = { field: raw.field, message: plain(raw.message) };
    const node = NODE_PATH.exec(p.field);
    const nodeId = node ? flow.nodes[Number(node[1])]?.id : undefined;
    if (node && nodeId) {
      // "data.message: Required" reads better with the field named, the node itself is implied.
      const what = node[2]?.replace(/^data\.?/, "");
      (placed.byNode[nodeId] ??= []).push(what ? `${what}: ${p.message}` : p.message);
      continue;
    }
    const edge = EDGE_PATH.exec(p.field);
    const edgeDef = edge ? flow.edges[Number(edge[1])] : undefined;
    if (edge && edgeDef) {
      (placed.byEdge[edgeDef.id] ??= []).push(p.message);
      // The edge's source node shows it too: edges are thin and hard to point at.
      (placed.byNode[edgeDef.source] ??= []).push(p.message);
      continue;
    }
    placed.general.push(p.field.startsWith("flow_definition") ? p.message : `${p.field}: ${p.message}`);
  }
  return placed;
}

export const problemCount = (p: PlacedProblems) =>
  Object.values(p.byNode).reduce((n, list) => n + list.length, 0) + p.general.length;
