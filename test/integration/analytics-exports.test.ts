// Analytics exports: 202 and a job on the queue, the file in R2 under the creator prefix, a signed
// download link that expires, CSV and JSON content from the rollups, the email delivery, the
// export_ready notification, 10 a day per creator, bad input, forged links and tenancy.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { conversationStub } from "../../src/realtime";
import { eventually } from "../channel-helpers";
import { api, createCreator, errorOf, inviteAndAccept } from "../helpers";
import { chatSetup } from "../realtime";

type Json = Record<string, any>;

async function requestExport(token: string, body: Json) {
  const res = await api("/api/v1/analytics/export", { method: "POST", token, json: body });
  return { status: res.status, body: (await res.json()) as Json };
}

async function completed(token: string, id: string): Promise<Json> {
  return eventually(async () => {
    const res = await api(`/api/v1/analytics/exports/${id}`, { token });
    const body = (await res.json()) as Json;
    return body.status === "completed" && body;
  }, "export completed");
}

/** The link's path (its host is PUBLIC_BASE_URL). */
const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

describe("analytics exports", () => {
  it("builds a CSV of the requested metrics into R2 and serves it through an expiring signed link", { timeout: 30_000 }, async () => {
    const { creator, session, tab } = await chatSetup();
    await tab.say("q1", "How do I start running?");
    await tab.aiReply();
    await conversationStub(env, session.conversation_id).flushOutbox();
    tab.close();
    const token = creator.access_token;

    const queued = await requestExport(token, { format: "csv", metrics: ["user_messages", "ai_interactions", "conversations"], period: "7d" });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: "queued", format: "csv", period: "7d", delivery: "download", download_url: null });
    const done = await completed(token, queued.body.id);
    expect(done.size_bytes).toBeGreaterThan(0);
    expect(Date.parse(done.expires_at) - Date.now()).toBeGreaterThan(3000 * 1000);

    // The file lives under the creator prefix.
    const listed = await env.FILES.list({ prefix: `creators/${creator.creator.id}/analytics-exports/` });
    expect(listed.objects.map((o) => o.key)).toEqual([`creators/${creator.creator.id}/analytics-exports/${queued.body.id}.csv`]);

    const file = await api(pathOf(done.download_url));
    expect(file.status).toBe(200);
    expect(file.headers.get("Content-Type")).toContain("text/csv");
    expect(file.headers.get("Content-Disposition")).toContain("attachment");
    const rows = (await file.text()).trim().split("\r\n").map((l) => l.split(","));
    expect(rows[0]).toEqual(["date", "user_messages", "ai_interactions", "conversations"]);
    expect(rows).toHaveLength(8);
    const today = new Date().toISOString().slice(0, 10);
    expect(rows.find((r) => r[0] === today)).toEqual([today, "1", "1", "1"]);
    // Every other day is zero.
    expect(rows.slice(1).filter((r) => r[0] !== today).every((r) => r.slice(1).every((v) => v === "0"))).toBe(true);

    // The requester has an export_ready notification.
    const notes = (await (await api("/api/v1/notifications", { token })).json()) as Json;
    expect(notes.notifications.map((n: Json) => [n.kind, n.data.export_id])).toContainEqual(["export_ready", queued.body.id]);

    // A forged, altered or expired link is refused.
    const url = new URL(done.download_url);
    const link = url.searchParams.get("token")!;
    const [cid, eid, exp, sig] = link.split(".");
    for (const bad of [`${cid}.${eid}.${Number(exp) + 1}.${sig}`, `${cid}.${eid}.${exp}.AAAA`, "x", `${cid}.${eid}.${exp}.${sig}.x`]) {
      const res = await api(`${url.pathname}?token=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(403);
    }
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2 * 3600 * 1000 });
    try {
      const expired = await api(pathOf(done.download_url));
      expect(expired.status).toBe(403);
      expect((await errorOf(expired)).message).toContain("expired");
    } finally {
      vi.useRealTimers();
    }
    // Another export's id with this link: refused.
    const other = await requestExport(token, { format: "json", metrics: ["users"], period: "30d" });
    expect((await api(`/api/v1/analytics/exports/${other.body.id}/download?token=${encodeURIComponent(link)}`)).status).toBe(403);
  });

  it("a JSON export carries the overview and one series per metric; email delivery mails the link", { timeout: 30_000 }, async () => {
    const owner = await createCreator();
    const logged: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void logged.push(String(line)));
    try {
      const queued = await requestExport(owner.access_token, { format: "json", metrics: ["users", "satisfaction"], period: "30d", delivery: "email" });
      expect(queued.status).toBe(202);
      const done = await completed(owner.access_token, queued.body.id);
      const mail = await eventually(async () => logged.find((l) => l.includes("mail.sent") && l.includes(owner.email) && l.includes("analytics export")), "export mail");
      const body = JSON.parse(mail).body as string;
      // The log redacts the link's token (src/lib/logging.ts); the mail names the export's download link.
      expect(body).toContain(`/api/v1/analytics/exports/${queued.body.id}/download?token=`);
      const file = await api(pathOf(done.download_url));
      expect(file.status).toBe(200);
      const json = (await file.json()) as Json;
      expect(json).toMatchObject({ creator_id: owner.creator.id, period: "30d", overview: { period: "30d", summary: { total_users: 0 } } });
      expect(Object.keys(json.series)).toEqual(["users", "satisfaction"]);
      expect(json.series.users).toHaveLength(30);
      expect(json.series.satisfaction.every((p: Json) => p.value === null)).toBe(true);
      expect(done.download_url).toContain(`/api/v1/analytics/exports/${queued.body.id}/download`);
    } finally {
      spy.mockRestore();
    }
  });

  it("allows 10 exports a day per creator; bad input is refused and changes nothing; other creators get 404", { timeout: 30_000 }, async () => {
    const owner = await createCreator();
    const token = owner.access_token;
    for (const bad of [
      {},
      { format: "xml", metrics: ["users"] },
      { format: "csv", metrics: [] },
      { format: "csv", metrics: ["passwords"] },
      { format: "csv", metrics: ["users"], period: "2d" },
      { format: "csv", metrics: ["users"], delivery: "fax" },
      { format: "csv", metrics: ["users"], extra: 1 },
    ]) {
      const res = await requestExport(token, bad);
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect(res.body.error.code).toBe("VALIDATION_ERROR");
    }
    const count = async () => (await env.DB.prepare("SELECT count(*) AS n FROM analytics_exports WHERE creator_id = ?").bind(owner.creator.id).first<{ n: number }>())!.n;
    expect(await count()).toBe(0);

    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await requestExport(token, { format: "csv", metrics: ["users"] });
      expect(r.status).toBe(202);
      ids.push(r.body.id);
    }
    const eleventh = await requestExport(token, { format: "csv", metrics: ["users"] });
    expect(eleventh.status).toBe(429);
    expect(eleventh.body.error.code).toBe("RATE_LIMIT_EXCEEDED");
    expect(await count()).toBe(10);

    // An agent can read analytics; another creator sees nothing of these exports.
    const agent = await inviteAndAccept(token, "agent");
    expect((await api(`/api/v1/analytics/exports/${ids[0]}`, { token: agent.access_token })).status).toBe(200);
    const stranger = await createCreator();
    const theirs = await api(`/api/v1/analytics/exports/${ids[0]}`, { token: stranger.access_token });
    expect(theirs.status).toBe(404);
    expect((await api(`/api/v1/analytics/exports/not-a-uuid`, { token })).status).toBe(422);
    expect((await api(`/api/v1/analytics/exports/${ids[0]}`)).status).toBe(401);
    expect((await api("/api/v1/analytics/export", { method: "POST", json: { format: "csv", metrics: ["users"] } })).status).toBe(401);
  });
});
