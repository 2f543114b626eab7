// GET /api/v1/programs/{program_id}/enrollments: a program's enrolments with state, end user,
// current step and start, filtered by status and paged; pause/resume/cancel show in it; another
// creator's program is 404 and bad input 422.
import { describe, expect, it } from "vitest";
import { api, createCreator, errorOf, type Session } from "../helpers";
import { createEndUser } from "../support/engine";
import { edge, node } from "../support/flows";

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;

async function publishedProgram(owner: Session, name: string) {
  const flow = { nodes: [node("start", "start"), node("wait", "wait", { days: 7 }), node("end", "end")], edges: [edge("start", "wait"), edge("wait", "end")] };
  const created = await json(await api("/api/v1/programs", { method: "POST", token: owner.access_token, json: { name, flow_definition: flow } }));
  expect((await api(`/api/v1/programs/${created.id}/publish`, { method: "POST", token: owner.access_token })).status).toBe(200);
  return created.id as string;
}

const list = (owner: Session, programId: string, query = "") => api(`/api/v1/programs/${programId}/enrollments${query}`, { token: owner.access_token });

describe("GET /api/v1/programs/{program_id}/enrollments", () => {
  it("lists the program's enrolments newest first with user, state and current step; actions change the state", async () => {
    const owner = await createCreator();
    const programId = await publishedProgram(owner, "Couch to 5K");
    const otherProgram = await publishedProgram(owner, "Sleep better");
    const users = [];
    for (const name of ["Ana", "Ben", "Cleo"]) {
      const id = await createEndUser({ creatorId: owner.creator.id, name });
      users.push(id);
      expect((await api(`/api/v1/users/${id}/programs/${programId}/enroll`, { method: "POST", token: owner.access_token })).status).toBe(201);
    }
    // An enrolment in another program is not listed.
    expect((await api(`/api/v1/users/${users[0]}/programs/${otherProgram}/enroll`, { method: "POST", token: owner.access_token })).status).toBe(201);

    const res = await list(owner, programId);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.pagination).toEqual({ page: 1, limit: 50, total: 3, pages: 1 });
    expect(body.enrollments.map((e: Json) => e.user.display_name).sort()).toEqual(["Ana", "Ben", "Cleo"]);
    for (const e of body.enrollments) {
      // Publishing made version 2 of the program (version 1 is the draft it was created as).
      expect(e).toMatchObject({ program_id: programId, version: 2, status: "active", user: { channel: "web" } });
      expect(e.current_step.node_id).toBe("start");
      expect(typeof e.enrolled_at).toBe("string");
    }
    const dates = body.enrollments.map((e: Json) => e.enrolled_at);
    expect([...dates].sort().reverse()).toEqual(dates);

    // Pause one, cancel another: the list shows it, and the status filter finds them.
    expect((await api(`/api/v1/users/${users[0]}/programs/${programId}/pause`, { method: "POST", token: owner.access_token })).status).toBe(200);
    expect((await api(`/api/v1/users/${users[1]}/programs/${programId}/cancel`, { method: "POST", token: owner.access_token })).status).toBe(200);
    const paused = await json(await list(owner, programId, "?status=paused"));
    expect(paused.enrollments.map((e: Json) => e.user.id)).toEqual([users[0]]);
    expect(paused.enrollments[0].paused_at).not.toBeNull();
    const cancelled = await json(await list(owner, programId, "?status=cancelled"));
    expect(cancelled.enrollments).toHaveLength(1);
    expect(cancelled.enrollments[0]).toMatchObject({ status: "cancelled", current_step: null });
    expect((await api(`/api/v1/users/${users[0]}/programs/${programId}/resume`, { method: "POST", token: owner.access_token })).status).toBe(200);
    expect((await json(await list(owner, programId, "?status=active"))).pagination.total).toBe(2);

    // Pages.
    const page2 = await json(await list(owner, programId, "?limit=2&page=2"));
    expect(page2.enrollments).toHaveLength(1);
    expect(page2.pagination).toEqual({ page: 2, limit: 2, total: 3, pages: 2 });
  });

  it("another creator's program is 404, bad input 422, anonymous 401", async () => {
    const owner = await createCreator();
    const programId = await publishedProgram(owner, "Mine");
    const other = await createCreator();
    const foreign = await list(other, programId);
    expect(foreign.status).toBe(404);
    expect((await errorOf(foreign)).code).toBe("RESOURCE_NOT_FOUND");
    for (const query of ["?status=running", "?limit=0", "?limit=101", "?page=0"]) {
      const res = await list(owner, programId, query);
      expect(res.status, query).toBe(422);
      expect((await errorOf(res)).code).toBe("VALIDATION_ERROR");
    }
    expect((await api(`/api/v1/programs/not-a-uuid/enrollments`, { token: owner.access_token })).status).toBe(422);
    expect((await api(`/api/v1/programs/${programId}/enrollments`)).status).toBe(401);
  });
});
