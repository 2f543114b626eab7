// The program builder (lazy: React Flow loads only here): drag steps, connect them, edit the
// selected one, save the draft, publish; the server's validation shows on the steps it concerns.
import "@xyflow/react/dist/style.css";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { addEdge, Background, Controls, ReactFlow, useEdgesState, useNodesState, useReactFlow, type Connection, type Edge, type Node } from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";
import { Link, useParams } from "wouter";
import { api, ApiError } from "../api/client";
import type { Program } from "../api/types";
import { ErrorNote } from "../ui/forms";
import { Page, StatusBadge } from "../ui/layout";
import { connect, NODE_KINDS, nextNodeId, toFlow, toGraph, type GraphEdge, type GraphNode } from "./flow-mapping";
import { NodeForm } from "./node-form";
import { ProgramEnrollments } from "./enrollments";
import { programKeys, useProgram } from "./queries";
import { kindLabel, StepNode, type StepData } from "./step-node";
import { placeProblems, problemCount, type PlacedProblems } from "./validation";

const nodeTypes = { step: StepNode };
const NO_PROBLEMS: PlacedProblems = { byNode: {}, byEdge: {}, general: [] };

export default function ProgramEditor() {
  const { id } = useParams<{ id: string }>();
  const program = useProgram(id);
  return (
    <Page title={program.data?.name ?? "Program"}>
      <p>
        <Link href="/programs">← All programs</Link>
      </p>
      <ErrorNote error={program.error} />
      {program.data && <Builder key={program.data.id} program={program.data} />}
      {program.data && <ProgramEnrollments programId={program.data.id} />}
    </Page>
  );
}

function Builder({ program }: { program: Program }) {
  const qc = useQueryClient();
  const initial = useMemo(() => toGraph(program.flow_definition ?? { nodes: [], edges: [] }), [program.flow_definition]);
  const [nodes, setNodes, onNodesChange] = useNodesState<Node>(initial.nodes as Node[]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>(initial.edges as Edge[]);
  const [selected, setSelected] = useState<string | null>(null);
  const [problems, setProblems] = useState<PlacedProblems>(NO_PROBLEMS);
  const [notice, setNotice] = useState<string | null>(null);

  const graphNodes = nodes as unknown as GraphNode[];
  const graphEdges = edges as unknown as GraphEdge[];
  const flow = () => toFlow(graphNodes, graphEdges);

  const fail = (err: unknown) => {
    if (err instanceof ApiError && err.status === 422) setProblems(placeProblems(flow(), err.body.details));
    setNotice(null);
  };
  const save = useMutation({
    mutationFn: () => api<Program>(`/api/v1/programs/${program.id}`, { method: "PUT", json: { flow_definition: flow() } }),
    onSuccess: (p) => {
      setProblems(NO_PROBLEMS);
      setNotice(`Draft saved (version ${p.version}).`);
      qc.setQueryData(programKeys.one(program.id), (old: Program | undefined) => ({ ...old, ...p, flow_definition: old?.flow_definition }));
    },
    onError: fail,
  });
  const publish = useMutation({
    mutationFn: async () => {
      await api(`/api/v1/programs/${program.id}`, { method: "PUT", json: { flow_definition: flow() } });
      return api<Program>(`/api/v1/programs/${program.id}/publish`, { method: "POST" });
    },
    onSuccess: (p) => {
      setProblems(NO_PROBLEMS);
      setNotice(`Published version ${p.published_version}. New enrolments follow it.`);
      void qc.invalidateQueries({ queryKey: programKeys.all });
    },
    onError: fail,
  });

  // Problems are drawn on the nodes through their data (React Flow re-renders a node when its data changes).
  useEffect(() => {
    setNodes((ns) => ns.map((n) => ({ ...n, data: { ...(n.data as StepData), problems: problems.byNode[n.id] ?? [] } })));
  }, [problems, setNodes]);

  const addStep = (kind: string) => {
    const id = nextNodeId(graphNodes, kind);
    const last = graphNodes[graphNodes.length - 1];
    const position = last ? { x: last.position.x + 40, y: last.position.y + 120 } : { x: 0, y: 0 };
    setNodes((ns) => [...ns, { id, type: "step", position, data: { kind, fields: {} } } as Node]);
    setSelected(id);
  };
  const onConnect = (c: Connection) => setEdges((es) => connect(es as unknown as GraphEdge[], c.source, c.sourceHandle ?? null, c.target) as Edge[]);
  const selectedNode = graphNodes.find((n) => n.id === selected);
  const status = publish.data?.status ?? program.status;

  return (
    <>
      <div className="toolbar">
        <StatusBadge status={status} />
        <span className="muted">
          Draft version {save.data?.version ?? publish.data?.version ?? program.version}
          {(publish.data?.published_version ?? program.published_version) ? ` · live version ${publish.data?.published_version ?? program.published_version}` : " · never published"}
          {" · "}
          {program.enrollment_count} enrolments
        </span>
        <button type="button" onClick={() => save.mutate()} disabled={save.isPending}>
          Save draft
        </button>
        <button type="button" className="primary" onClick={() => publish.mutate()} disabled={publish.isPending}>
          Publish
        </button>
      </div>
      <p role="status">{notice}</p>
      {problemCount(problems) > 0 && (
        <div role="alert" className="error-note">
          {problemCount(problems)} problem(s) to fix before publishing — they are marked on the steps.
          {problems.general.length > 0 && (
            <ul>
              {problems.general.map((p, i) => (
                <li key={i}>{p}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {(save.error || publish.error) && !(save.error instanceof ApiError && save.error.status === 422) && !(publish.error instanceof ApiError && publish.error.status === 422) && (
        <ErrorNote error={save.error ?? publish.error} />
      )}
      <div className="palette" role="group" aria-label="Add a step">
        {NODE_KINDS.filter((k) => k !== "start").map((k) => (
          <button key={k} type="button" onClick={() => addStep(k)}>
            + {kindLabel(k)}
          </button>
        ))}
      </div>
      <div className="builder">
        <div className="flow-canvas" aria-label="Program flow (drag steps, connect a step's bottom handle to the next step's top)">
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={(c) => (c.source && c.target ? onConnect(c) : setEdges((es) => addEdge(c, es)))}
            onNodeClick={(_, n) => setSelected(n.id)}
            onPaneClick={() => setSelected(null)}
            fitView
            fitViewOptions={{ maxZoom: 1 }}
          >
            <Background />
            <Controls />
            <RefitOnResize />
          </ReactFlow>
        </div>
        <div>
          <section className="card" aria-labelledby="steps-title">
            <h2 id="steps-title">Steps</h2>
            <ul className="palette" aria-label="Select a step to edit">
              {graphNodes.map((n) => (
                <li key={n.id} style={{ listStyle: "none" }}>
                  <button type="button" aria-pressed={n.id === selected} onClick={() => setSelected(n.id)}>
                    {kindLabel(n.data.kind)} {problems.byNode[n.id]?.length ? "⚠" : ""}
                    <span className="visually-hidden">{` ${n.id}${problems.byNode[n.id]?.length ? ", has problems" : ""}`}</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
          {selectedNode && (
            <NodeForm
              key={selectedNode.id}
              node={selectedNode}
              nodes={graphNodes}
              edges={graphEdges}
              problems={problems.byNode[selectedNode.id] ?? []}
              onFields={(fields) => setNodes((ns) => ns.map((n) => (n.id === selectedNode.id ? { ...n, data: { ...(n.data as StepData), fields } } : n)))}
              onConnect={(handle, target) => setEdges((es) => connect(es as unknown as GraphEdge[], selectedNode.id, handle, target) as Edge[])}
              onDelete={() => {
                setNodes((ns) => ns.filter((n) => n.id !== selectedNode.id));
                setEdges((es) => es.filter((e) => e.source !== selectedNode.id && e.target !== selectedNode.id));
                setSelected(null);
              }}
            />
          )}
        </div>
      </div>
    </>
  );
}

/** fitView runs once when the canvas opens; a phone turned or a window resized would lose the steps. */
function RefitOnResize() {
  const { fitView } = useReactFlow();
  useEffect(() => {
    const refit = () => void fitView({ maxZoom: 1 });
    window.addEventListener("resize", refit);
    return () => window.removeEventListener("resize", refit);
  }, [fitView]);
  return null;
}
