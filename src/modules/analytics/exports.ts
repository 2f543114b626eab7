// Analytics exports: requested (202, 10 a day per creator), built on the JOBS queue into R2 under the
// creator prefix, then offered by an expiring signed link served by the Worker, or mailed.
import { and, count, eq, gte } from "drizzle-orm";
import { config } from "../../config";
import { tenant } from "../../db/client";
import { creatorR2Prefix } from "../../db/ownership";
import { analyticsExports, members } from "../../db/schema";
import type { Env } from "../../env";
import { clock, DAY } from "../../lib/clock";
import { timingSafeEqual } from "../../lib/crypto";
import { base64url, fromBase64url } from "../../lib/encoding";
import { AppError, forbidden, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { log } from "../../lib/logging";
import { mailSender } from "../../lib/mail";
import { notify } from "../notifications";
import { detailed, overview, type Period } from "./service";

type ExportRow = typeof analyticsExports.$inferSelect;
export interface ExportRequest {
  format: "csv" | "json";
  metrics: string[];
  period: Period;
  delivery: "download" | "email";
}

const PERIOD_DAYS: Record<Period, number> = { "7d": 7, "30d": 30, "90d": 90, "1y": 365 };
/** The job's attempts before an export is marked failed (wrangler.toml's max_retries is 5). */
const MAX_ATTEMPTS = 5;

const objectKey = (creatorId: string, id: string, format: string) => `${creatorR2Prefix(creatorId)}analytics-exports/${id}.${format}`;

export async function requestExport(env: Env, creatorId: string, memberId: string, req: ExportRequest) {
  const t = tenant(env.DB, creatorId);
  const { perDay } = config(env).analyticsExports;
  const since = new Date(clock.now() - DAY).toISOString();
  const [used] = await t.db.select({ n: count() }).from(analyticsExports).where(t.where(analyticsExports, gte(analyticsExports.createdAt, since)));
  if ((used?.n ?? 0) >= perDay) {
    throw new AppError("RATE_LIMIT_EXCEEDED", `At most ${perDay} analytics exports a day`, [], { "Retry-After": String(24 * 3600) });
  }
  const row: ExportRow = {
    id: newId(),
    creatorId,
    memberId,
    format: req.format,
    metrics: [...new Set(req.metrics)],
    period: req.period,
    delivery: req.delivery,
    status: "queued",
    r2Key: null,
    sizeBytes: null,
    error: null,
    createdAt: clock.iso(),
    completedAt: null,
  };
  await t.db.insert(analyticsExports).values(row).run();
  await env.JOBS.send({ type: "analytics.export", creatorId, exportId: row.id });
  return present(env, row);
}

export async function getExport(env: Env, creatorId: string, id: string) {
  return present(env, await load(env, creatorId, id));
}

async function load(env: Env, creatorId: string, id: string): Promise<ExportRow> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(analyticsExports).where(t.where(analyticsExports, eq(analyticsExports.id, id))).get();
  if (!row) throw notFound("Export");
  return row;
}

async function present(env: Env, row: ExportRow) {
  const link = row.status === "completed" ? await signedLink(env, row) : null;
  return {
    id: row.id,
    status: row.status,
    format: row.format,
    metrics: row.metrics,
    period: row.period,
    delivery: row.delivery,
    size_bytes: row.sizeBytes,
    error: row.error,
    created_at: row.createdAt,
    completed_at: row.completedAt,
    download_url: link?.url ?? null,
    expires_at: link?.expiresAt ?? null,
  };
}

// ---- the signed link: `<creator>.<export>.<expires>.<HMAC>`, base64url; the key is derived from ENCRYPTION_KEY's first entry

const linkKeys = new Map<string, Promise<CryptoKey>>();
function linkKey(env: Env): Promise<CryptoKey> {
  const secret = (env.ENCRYPTION_KEY ?? "").split(",")[0]?.trim() ?? "";
  if (secret.length < 32) throw new AppError("SERVICE_UNAVAILABLE", "Encryption key is not configured");
  let key = linkKeys.get(secret);
  if (!key) {
    // Domain-separated from the at-rest key: a link signature says nothing about encrypted values.
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(`edgecoach-export-link-v1:${secret}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    linkKeys.set(secret, key);
  }
  return key;
}

async function mac(env: Env, payload: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await linkKey(env), new TextEncoder().encode(payload)));
}

async function signedLink(env: Env, row: ExportRow) {
  const expires = Math.floor(clock.now() / 1000) + config(env).analyticsExports.linkTtlSeconds;
  const payload = `${row.creatorId}.${row.id}.${expires}`;
  const token = `${payload}.${base64url(await mac(env, payload))}`;
  return {
    url: `${config(env).publicBaseUrl}/api/v1/analytics/exports/${row.id}/download?token=${encodeURIComponent(token)}`,
    expiresAt: new Date(expires * 1000).toISOString(),
  };
}

/** Checks the link and returns the file (the link itself is the credential; a wrong one is 403, an old one too). */
export async function downloadExport(env: Env, id: string, token: string) {
  const parts = token.split(".");
  const [creatorId, exportId, expires, sig] = parts;
  if (parts.length !== 4 || exportId !== id || !/^\d+$/.test(expires ?? "")) throw forbidden("Invalid download link");
  let given: Uint8Array;
  try {
    given = fromBase64url(sig!);
  } catch {
    throw forbidden("Invalid download link");
  }
  if (!timingSafeEqual(given, await mac(env, `${creatorId}.${exportId}.${expires}`))) throw forbidden("Invalid download link");
  if (Number(expires) * 1000 < clock.now()) throw forbidden("This download link has expired; read the export's status for a new one");
  const row = await load(env, creatorId!, id);
  const object = row.r2Key ? await env.FILES.get(row.r2Key) : null;
  if (!object) throw notFound("Export file");
  return {
    body: object.body,
    contentType: row.format === "csv" ? "text/csv; charset=utf-8" : "application/json",
    filename: `analytics-${row.period}-${row.createdAt.slice(0, 10)}.${row.format}`,
  };
}

// ---- building (the JOBS consumer)

export async function buildExport(env: Env, job: { creatorId: string; exportId: string }, attempts: number): Promise<void> {
  const t = tenant(env.DB, job.creatorId);
  const row = await t.db.select().from(analyticsExports).where(t.where(analyticsExports, eq(analyticsExports.id, job.exportId))).get();
  // Gone (erased) or already done: a redelivered message is a no-op.
  if (!row || row.status === "completed" || row.status === "failed") return;
  await t.db.update(analyticsExports).set({ status: "processing" }).where(t.where(analyticsExports, eq(analyticsExports.id, row.id))).run();
  try {
    const content = await render(env, row);
    const key = objectKey(row.creatorId, row.id, row.format);
    await env.FILES.put(key, content, { httpMetadata: { contentType: row.format === "csv" ? "text/csv" : "application/json" } });
    const done = { status: "completed" as const, r2Key: key, sizeBytes: new TextEncoder().encode(content).length, completedAt: clock.iso() };
    await t.db.update(analyticsExports).set(done).where(t.where(analyticsExports, eq(analyticsExports.id, row.id))).run();
    await announce(env, { ...row, ...done });
  } catch (err) {
    if (attempts < MAX_ATTEMPTS) throw err;
    log("error", "analytics export failed", { creator_id: row.creatorId, export_id: row.id, error: String(err) });
    await t.db
      .update(analyticsExports)
      .set({ status: "failed", error: "The export could not be built", completedAt: clock.iso() })
      .where(t.where(analyticsExports, eq(analyticsExports.id, row.id)))
      .run();
  }
}

/** One row per day of the period; a column (CSV) or a series (JSON) per metric. */
async function render(env: Env, row: ExportRow): Promise<string> {
  const days = PERIOD_DAYS[row.period as Period];
  const end = new Date(clock.now()).toISOString().slice(0, 10);
  const start = new Date(Date.parse(`${end}T00:00:00Z`) - (days - 1) * DAY).toISOString().slice(0, 10);
  const series: Record<string, { date: string; value: number | null }[]> = {};
  for (const metric of row.metrics) {
    const d = await detailed(env, row.creatorId, { metric, granularity: "day", start_date: start, end_date: end });
    series[metric] = d.body.data.map((p) => ({ date: p.date, value: p.value }));
  }
  if (row.format === "json") {
    const summary = (await overview(env, row.creatorId, row.period as Period)).body;
    return JSON.stringify({ creator_id: row.creatorId, period: row.period, date_range: { start_date: start, end_date: end }, generated_at: clock.iso(), overview: summary, series });
  }
  const dates = series[row.metrics[0]!]!.map((p) => p.date);
  const lines = [["date", ...row.metrics].join(",")];
  dates.forEach((date, i) => lines.push([date, ...row.metrics.map((m) => csvCell(series[m]![i]?.value ?? null))].join(",")));
  return `${lines.join("\r\n")}\r\n`;
}

/** RFC 4180 cells; values are numbers or empty, but a cell is never trusted to be formula-free. */
function csvCell(v: number | null): string {
  return v === null ? "" : String(v);
}

/** The requester hears it in-app; with delivery "email" the link goes to their address too. */
async function announce(env: Env, row: ExportRow): Promise<void> {
  const link = await signedLink(env, row);
  await notify(env, row.creatorId, {
    kind: "export_ready",
    title: "Your analytics export is ready",
    body: `${row.format.toUpperCase()} of ${row.metrics.join(", ")} for the last ${row.period}.`,
    data: { export_id: row.id },
    memberId: row.memberId,
  }).catch((err: unknown) => log("warn", "export_ready notification not written", { creator_id: row.creatorId, error: String(err) }));
  if (row.delivery !== "email") return;
  const t = tenant(env.DB, row.creatorId);
  const member = await t.db.select({ email: members.email }).from(members).where(t.where(members, and(eq(members.id, row.memberId), eq(members.status, "active")))).get();
  if (!member) return;
  await mailSender(env).send({
    to: member.email,
    subject: "Your analytics export is ready",
    text: `Your ${row.format.toUpperCase()} export (${row.metrics.join(", ")}, last ${row.period}) is ready.\n\nDownload it (the link expires at ${link.expiresAt}): ${link.url}\n`,
  });
}
