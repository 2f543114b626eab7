// Programs: create, list, read (with analytics), edit (the working copy; a published program's
// live version keeps running), publish (strict validation; every publish is a new immutable
// version: version 1 → publish → version 2, as creator-hub-api.md shows) and archive.
import { desc, eq, like, or, sql } from "drizzle-orm";
import { tenant } from "../../db/client";
import { programs, type FlowDefinition } from "../../db/schema";
import type { Env } from "../../env";
import { clock } from "../../lib/clock";
import { conflict, invalid, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { validateFlow } from "./flow";
import type { z } from "@hono/zod-openapi";
import type { CreateProgramSchema, ListProgramsQuery, UpdateProgramSchema } from "./schemas";

type ProgramRow = typeof programs.$inferSelect;

const stats = (db: D1Database, creatorId: string, programIds: string[]) =>
  programIds.length
    ? db
        .prepare(
          `SELECT program_id,
                  count(*) AS total,
                  sum(status = 'active') AS active,
                  sum(status = 'paused') AS paused,
                  sum(status = 'completed') AS completed,
                  sum(status = 'cancelled') AS cancelled,
                  avg(CASE WHEN status = 'completed' THEN julianday(completed_at) - julianday(enrolled_at) END) AS avg_days
             FROM program_enrollments
            WHERE creator_id = ? AND program_id IN (SELECT value FROM json_each(?))
            GROUP BY program_id`,
        )
        .bind(creatorId, JSON.stringify(programIds))
        .all<{ program_id: string; total: number; active: number; paused: number; completed: number; cancelled: number; avg_days: number | null }>()
        .then((r) => new Map(r.results.map((s) => [s.program_id, s])))
    : Promise.resolve(new Map());

const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 1000 : 0);

function present(row: ProgramRow, s: { total: number; completed: number } | undefined, withFlow: boolean) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    ...(withFlow ? { flow_definition: row.flowDefinition } : {}),
    status: row.status,
    version: row.version,
    published_version: row.publishedVersion,
    settings: row.settings,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    published_at: row.publishedAt,
    archived_at: row.archivedAt,
    enrollment_count: s?.total ?? 0,
    completion_rate: rate(s?.completed ?? 0, s?.total ?? 0),
  };
}

function assertFlow(flow: FlowDefinition | undefined, strict: boolean) {
  if (!flow) return;
  const problems = validateFlow(flow, strict);
  if (problems.length) throw invalid(problems, strict ? "The flow can't be published" : "The flow definition is invalid");
}

export async function findProgram(env: Env, creatorId: string, id: string): Promise<ProgramRow> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(programs).where(t.where(programs, eq(programs.id, id))).get();
  if (!row) throw notFound("Program");
  return row;
}

export async function createProgram(env: Env, creatorId: string, input: z.infer<typeof CreateProgramSchema>) {
  assertFlow(input.flow_definition, false);
  const t = tenant(env.DB, creatorId);
  const at = clock.iso();
  const row = await t.db
    .insert(programs)
    .values({
      id: newId(),
      creatorId,
      name: input.name,
      description: input.description ?? null,
      flowDefinition: input.flow_definition,
      settings: input.settings ?? {},
      createdAt: at,
      updatedAt: at,
    })
    .returning()
    .get();
  return present(row, undefined, true);
}

export async function listPrograms(env: Env, creatorId: string, q: z.infer<typeof ListProgramsQuery>) {
  const t = tenant(env.DB, creatorId);
  const needle = q.search ? `%${q.search.replace(/[%_\\]/g, (m) => "\\" + m)}%` : undefined;
  const where = t.where(
    programs,
    q.status ? eq(programs.status, q.status) : undefined,
    needle ? or(like(programs.name, needle), like(programs.description, needle)) : undefined,
  );
  const [rows, count] = await Promise.all([
    t.db.select().from(programs).where(where).orderBy(desc(programs.createdAt), desc(programs.id)).limit(q.limit).offset((q.page - 1) * q.limit).all(),
    t.db.select({ n: sql<number>`count(*)` }).from(programs).where(where).get(),
  ]);
  const s = await stats(env.DB, creatorId, rows.map((r) => r.id));
  const total = count?.n ?? 0;
  return {
    programs: rows.map((r) => present(r, s.get(r.id), false)),
    pagination: { page: q.page, limit: q.limit, total, pages: Math.ceil(total / q.limit) },
  };
}

export async function getProgram(env: Env, creatorId: string, id: string) {
  const row = await findProgram(env, creatorId, id);
  const s = (await stats(env.DB, creatorId, [id])).get(id);
  // Engagement of a program: the share of its questions that users answered (rather than let time out).
  const q = await env.DB.prepare(
    `SELECT sum(s.outcome = 'answered') AS answered, sum(s.outcome = 'timed_out') AS timed_out
       FROM enrollment_steps s JOIN program_enrollments e ON e.id = s.enrollment_id
      WHERE e.creator_id = ? AND e.program_id = ? AND s.node_type = 'question'`,
  )
    .bind(creatorId, id)
    .first<{ answered: number | null; timed_out: number | null }>();
  const resolved = (q?.answered ?? 0) + (q?.timed_out ?? 0);
  return {
    ...present(row, s, true),
    analytics: {
      total_enrollments: s?.total ?? 0,
      active_enrollments: s?.active ?? 0,
      paused_enrollments: s?.paused ?? 0,
      completed_enrollments: s?.completed ?? 0,
      cancelled_enrollments: s?.cancelled ?? 0,
      completion_rate: rate(s?.completed ?? 0, s?.total ?? 0),
      average_completion_time_days: s?.avg_days == null ? null : Math.round(s.avg_days * 100) / 100,
      engagement_score: resolved ? rate(q?.answered ?? 0, resolved) : null,
    },
  };
}

export async function updateProgram(env: Env, creatorId: string, id: string, input: z.infer<typeof UpdateProgramSchema>) {
  const row = await findProgram(env, creatorId, id);
  if (row.status === "archived") throw conflict("An archived program can't be edited");
  assertFlow(input.flow_definition, false);
  const t = tenant(env.DB, creatorId);
  // Editing a published program makes the working copy a draft again; the published version keeps
  // running, and the next publish freezes the edits as a new version.
  const updated = await t.db
    .update(programs)
    .set({
      name: input.name ?? row.name,
      description: input.description === undefined ? row.description : input.description,
      flowDefinition: input.flow_definition ?? row.flowDefinition,
      settings: input.settings ?? row.settings,
      status: "draft",
      updatedAt: clock.iso(),
    })
    // Compare-and-set on the version: an edit racing a publish is refused rather than lost in between.
    .where(t.where(programs, eq(programs.id, id), eq(programs.version, row.version)))
    .returning()
    .get();
  if (!updated) throw conflict("The program changed meanwhile; reload and try again");
  const s = (await stats(env.DB, creatorId, [id])).get(id);
  return present(updated, s, true);
}

export async function publishProgram(env: Env, creatorId: string, id: string) {
  const row = await findProgram(env, creatorId, id);
  if (row.status === "archived") throw conflict("An archived program can't be published");
  const result = (r: ProgramRow) => ({ id: r.id, status: r.status, published_at: r.publishedAt, version: r.version, published_version: r.publishedVersion });
  if (row.status === "published") return result(row); // nothing new to freeze
  assertFlow(row.flowDefinition, true);
  const at = clock.iso();
  // One transaction: the new version row is copied from the program row as it is at that moment
  // (an edit landing between our read and this batch is what gets frozen, never a mix), and the
  // program moves to it. Both are conditioned on the version read above, so two concurrent
  // publishes make one new version (the unique (program, version) key holds the other out).
  const cond = "id = ? AND creator_id = ? AND version = ? AND status = 'draft'";
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO program_versions (id, creator_id, program_id, version, flow_definition, settings, published_at)
       SELECT ?, creator_id, id, version + 1, flow_definition, settings, ? FROM programs WHERE ${cond}
       ON CONFLICT DO NOTHING`,
    ).bind(newId(), at, id, creatorId, row.version),
    env.DB.prepare(`UPDATE programs SET status = 'published', version = version + 1, published_version = version + 1, published_at = ?, updated_at = ? WHERE ${cond}`).bind(
      at,
      at,
      id,
      creatorId,
      row.version,
    ),
  ]);
  return result(await findProgram(env, creatorId, id));
}

export async function archiveProgram(env: Env, creatorId: string, id: string) {
  const row = await findProgram(env, creatorId, id);
  const t = tenant(env.DB, creatorId);
  const at = clock.iso();
  const updated = row.status === "archived"
    ? row
    : (await t.db.update(programs).set({ status: "archived", archivedAt: at, updatedAt: at }).where(t.where(programs, eq(programs.id, id))).returning().get())!;
  const s = (await stats(env.DB, creatorId, [id])).get(id);
  return present(updated, s, true);
}

/** The frozen flow an enrolment runs. */
export async function loadVersion(env: Env, programId: string, version: number) {
  const t = getVersionStmt(env);
  return t.bind(programId, version).first<{ flow_definition: string; settings: string }>().then((r) =>
    r ? { flow: JSON.parse(r.flow_definition) as FlowDefinition, settings: JSON.parse(r.settings) as Record<string, unknown> } : null,
  );
}
const getVersionStmt = (env: Env) => env.DB.prepare("SELECT flow_definition, settings FROM program_versions WHERE program_id = ? AND version = ?");
