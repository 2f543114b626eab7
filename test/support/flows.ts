// Flow definitions for tests: a valid multi-day coaching flow and small builders.
export const node = (id: string, type: string, data: Record<string, unknown> = {}) => ({ id, type, position: { x: 0, y: 0 }, data });
export const edge = (source: string, target: string, source_handle?: string) => ({ id: `${source}-${target}${source_handle ? `-${source_handle}` : ""}`, source, target, ...(source_handle ? { source_handle } : {}) });

/** start → welcome → wait 1 day → question (goal, 24 h timeout) → condition on the answer → … → end */
export function coachingFlow() {
  return {
    nodes: [
      node("start", "start"),
      node("welcome", "send_message", { message: "Welcome {user_name}!", delay_hours: 0 }),
      node("wait1", "wait", { days: 1 }),
      node("ask", "question", { question: "What is your goal, {user_name}?", key: "goal", timeout_hours: 24 }),
      node("branch", "condition", { field: "answers.goal", operator: "contains", value: "run" }),
      node("runner", "tag", { tag: "runner" }),
      node("other", "send_message", { message: "Noted: {goal}." }),
      node("badge", "award_badge", { badge_id: "goal-set", badge_name: "Goal set" }),
      node("nudge", "send_message", { message: "No answer yet, no problem." }),
      node("end", "end"),
    ],
    edges: [
      edge("start", "welcome"),
      edge("welcome", "wait1"),
      edge("wait1", "ask"),
      edge("ask", "branch", "answer"),
      edge("ask", "nudge", "timeout"),
      edge("branch", "runner", "true"),
      edge("branch", "other", "false"),
      edge("runner", "badge"),
      edge("other", "badge"),
      edge("badge", "end"),
      edge("nudge", "end"),
    ],
  };
}

export const simpleFlow = (message = "Hello {user_name}") => ({
  nodes: [node("start", "start"), node("m", "send_message", { message }), node("end", "end")],
  edges: [edge("start", "m"), edge("m", "end")],
});
