// The program builder's data: flow_definition ↔ React Flow graph, wiring, and where problems show.
import { describe, expect, it } from "vitest";
import { connect, nextNodeId, sourceHandles, starterFlow, toFlow, toGraph, type FlowDefinition } from "../../src/console/programs/flow-mapping";
import { placeProblems, problemCount } from "../../src/console/programs/validation";

const flow: FlowDefinition = {
  nodes: [
    { id: "start", type: "start", position: { x: 0, y: 0 }, data: {} },
    { id: "ask", type: "question", position: { x: 10.4, y: 150.6 }, data: { question: "Your goal?", key: "goal", timeout_hours: 24 } },
    { id: "nudge", type: "send_message", data: { message: "Still there?" } },
    { id: "end", type: "end", position: { x: 0, y: 400 }, data: {} },
  ],
  edges: [
    { id: "e1", source: "start", target: "ask" },
    { id: "e2", source: "ask", target: "end", source_handle: "answer" },
    { id: "e3", source: "ask", target: "nudge", source_handle: "timeout" },
    { id: "e4", source: "nudge", target: "end" },
  ],
};

describe("flow_definition ↔ graph", () => {
  it("round-trips nodes, data, positions and handles", () => {
    const graph = toGraph(flow);
    expect(graph.nodes[1]).toEqual({ id: "ask", type: "step", position: { x: 10.4, y: 150.6 }, data: { kind: "question", fields: flow.nodes[1]!.data } });
    expect(graph.edges[2]).toMatchObject({ id: "e3", source: "ask", target: "nudge", sourceHandle: "timeout", label: "timeout" });
    const back = toFlow(graph.nodes, graph.edges);
    expect(back.edges).toEqual(flow.edges);
    expect(back.nodes.map((n) => n.data)).toEqual(flow.nodes.map((n) => n.data));
    // Positions are whole pixels; a node saved without one gets a grid place and keeps it.
    expect(back.nodes[1]!.position).toEqual({ x: 10, y: 151 });
    expect(back.nodes[2]!.position).toEqual({ x: 520, y: 0 });
  });

  it("leaves an edge's handle out when it has none, and drops emptied fields", () => {
    const graph = toGraph({ nodes: [{ id: "m", type: "send_message", data: { message: "hi", delay_hours: 2 } }], edges: [] });
    graph.nodes[0]!.data.fields = { message: "", delay_hours: "" };
    expect(toFlow(graph.nodes, [{ id: "x", source: "m", target: "end", sourceHandle: null }])).toEqual({
      nodes: [{ id: "m", type: "send_message", position: { x: 0, y: 0 }, data: {} }],
      edges: [{ id: "x", source: "m", target: "end" }],
    });
  });

  it("connect replaces the edge already leaving that handle, and keeps the other handles", () => {
    const edges = toGraph(flow).edges;
    const rewired = connect(edges, "ask", "timeout", "end");
    expect(rewired.filter((e) => e.source === "ask").map((e) => [e.sourceHandle, e.target])).toEqual([
      ["answer", "end"],
      ["timeout", "end"],
    ]);
    expect(connect(edges, "start", null, "nudge").filter((e) => e.source === "start").map((e) => e.target)).toEqual(["nudge"]);
  });

  it("names handles as the server's publish check expects", () => {
    expect(sourceHandles("condition")).toEqual(["true", "false"]);
    expect(sourceHandles("question")).toEqual(["answer", "timeout"]);
    expect(sourceHandles("end")).toEqual([]);
    expect(sourceHandles("wait")).toEqual([null]);
  });

  it("gives new nodes ids no node has", () => {
    expect(nextNodeId([{ id: "wait_1" }, { id: "wait_2" }], "wait")).toBe("wait_3");
    expect(nextNodeId([{ id: "wait_2" }], "wait")).toBe("wait_1");
  });

  it("starts a new program with three connected steps", () => {
    const s = starterFlow();
    expect(s.nodes.map((n) => n.type)).toEqual(["start", "send_message", "end"]);
    expect(s.edges.map((e) => [e.source, e.target])).toEqual([
      ["start", "send_message_1"],
      ["send_message_1", "end"],
    ]);
  });
});

describe("validation problems on the nodes", () => {
  it("puts node and edge problems on their node, the rest in general", () => {
    const placed = placeProblems(flow, [
      { field: "flow_definition.nodes.1.data.key", message: "must be a profile key" },
      { field: "flow_definition.nodes.1.data.question", message: "Invalid input: expected string, received undefined" },
      { field: "flow_definition.nodes.2", message: "node 'nudge' is not reachable from start" },
      { field: "flow_definition.edges.3.target", message: "edge 'e4' ends at unknown node 'x'" },
      { field: "flow_definition.nodes", message: "a flow needs exactly one start node (found 2)" },
      { field: "flow_definition.edges", message: "cycle without a wait or question: a → b → a" },
      { field: "flow_definition.nodes.9.data", message: "index out of range" },
      { field: "name", message: "Required" },
    ]);
    expect(placed.byNode).toEqual({
      ask: ["key: must be a profile key", "question: required"],
      nudge: ["node 'nudge' is not reachable from start", "edge 'e4' ends at unknown node 'x'"],
    });
    expect(placed.byEdge).toEqual({ e4: ["edge 'e4' ends at unknown node 'x'"] });
    expect(placed.general).toEqual([
      "a flow needs exactly one start node (found 2)",
      "cycle without a wait or question: a → b → a",
      "index out of range",
      "name: Required",
    ]);
    expect(problemCount(placed)).toBe(4 + 4);
  });
});
