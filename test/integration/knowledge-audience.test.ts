// Tracker 11 item 9: knowledge bases have an audience; visitors (widget, Telegram, WhatsApp) are
// answered only from public ones, and the sources they see carry a title and a snippet, nothing internal.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { answer } from "../../src/ai/answer";
import { api, createCreator, errorOf } from "../helpers";
import { createKb, uploadAndWait } from "../knowledge-helpers";
import { chatSetup } from "../realtime";

const PUBLIC_PAGE = "# Opening hours\n\nThe studio opens at 7 am on weekdays and at 9 am on Saturdays. It is closed on Sundays.";
const INTERNAL_PAGE =
  "# Staff discounts\n\nStaff members get the secret staff discount code ORCHID-77 for forty percent off any plan. Never share the staff discount code with clients.";

describe("knowledge base audience", { timeout: 120_000 }, () => {
  it("is public by default, can be internal, and rejects anything else", async () => {
    const s = await createCreator();
    const kb = await createKb(s.access_token);
    expect((kb as any).audience).toBe("public");
    const internal = await createKb(s.access_token, { name: "Staff", audience: "internal" });
    expect((internal as any).audience).toBe("internal");
    const put = await api(`/api/v1/knowledge-bases/${kb.id}`, { method: "PUT", token: s.access_token, json: { audience: "internal" } });
    expect(put.status).toBe(200);
    expect(((await put.json()) as any).audience).toBe("internal");
    const bad = await api("/api/v1/knowledge-bases", { method: "POST", token: s.access_token, json: { name: "X", audience: "everyone" } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details.map((d) => d.field)).toContain("audience");
    const badPut = await api(`/api/v1/knowledge-bases/${kb.id}`, { method: "PUT", token: s.access_token, json: { audience: 3 } });
    expect(badPut.status).toBe(422);
    expect(((await (await api(`/api/v1/knowledge-bases/${kb.id}`, { token: s.access_token })).json()) as any).audience).toBe("internal");
  });

  it("answers visitors only from public knowledge; the creator's own API still sees internal knowledge", async () => {
    const s = await createCreator();
    const pub = await createKb(s.access_token, { name: "FAQ" });
    const staff = await createKb(s.access_token, { name: "Staff", audience: "internal" });
    await uploadAndWait(s.access_token, pub.id, "hours.md", PUBLIC_PAGE);
    await uploadAndWait(s.access_token, staff.id, "staff.md", INTERNAL_PAGE);
    const question = "What is the staff discount code?";

    const visitor = await answer(env, { creatorId: s.creator.id, message: question, audience: "public" });
    expect(visitor.response).not.toContain("ORCHID-77");
    expect(visitor.sources).toEqual([]);
    const own = await answer(env, { creatorId: s.creator.id, message: question });
    expect(own.response).toContain("ORCHID-77");

    // Naming an internal base doesn't let a visitor conversation in either.
    const named = await answer(env, { creatorId: s.creator.id, message: question, audience: "public", knowledgeBaseId: staff.id });
    expect(named.response).not.toContain("ORCHID-77");
  });

  it("shows widget visitors a title and a snippet, never whole chunks, ids or internal metadata", async () => {
    const { creator, tab } = await chatSetup();
    const pub = await createKb(creator.access_token, { name: "FAQ" });
    const long = `# Opening hours\n\n${"The studio opens at 7 am on weekdays and at 9 am on Saturdays. ".repeat(3)}${"Parking is free behind the building for every member of the studio. ".repeat(8)}`;
    await uploadAndWait(creator.access_token, pub.id, "hours.md", long, { metadata: JSON.stringify({ owner_note: "internal-only" }) });
    const staff = await createKb(creator.access_token, { name: "Staff", audience: "internal" });
    await uploadAndWait(creator.access_token, staff.id, "staff.md", INTERNAL_PAGE);
    tab.send({ type: "message", text: "When does the studio open on Saturdays?", id: "c1" });
    const reply = await tab.aiReply();
    expect(reply.text).toContain("9 am on Saturdays");
    expect(reply.sources.length).toBeGreaterThan(0);
    for (const src of reply.sources) {
      expect(Object.keys(src.metadata).sort()).toEqual(["document_title"]);
      expect(src.metadata.document_title).toBe("hours");
      expect(src.content.length).toBeLessThanOrEqual(300);
      expect(src.content).not.toContain("<mark>");
    }
    tab.send({ type: "message", text: "What is the staff discount code?", id: "c2" });
    const second = await tab.aiReply();
    expect(second.text).not.toContain("ORCHID-77");
    tab.close();
  });
});
