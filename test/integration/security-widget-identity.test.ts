// Tracker 11 (low): the web channel's allowed_origins holds for widget sockets as for sessions, and a
// visitor_id alone (without the server-issued visitor_secret) can't take over another visitor.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createCreator } from "../helpers";
import { openSession, widgetKeyOf } from "../realtime";

describe("widget visitor identity", () => {
  it("a known visitor_id without its visitor_secret gets a new visitor, never the victim's", async () => {
    const c = await createCreator();
    const key = await widgetKeyOf(c.access_token);
    const victim = await openSession(key, { visitor_id: "victim-visitor-1" });
    expect(victim.visitor_id).toBe("victim-visitor-1");
    expect(victim.visitor_secret).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    const bare = await openSession(key, { visitor_id: "victim-visitor-1" });
    const forged = await openSession(key, { visitor_id: "victim-visitor-1", visitor_secret: "A".repeat(43), session_id: victim.session_id });
    for (const thief of [bare, forged]) {
      expect(thief.visitor_id).not.toBe("victim-visitor-1");
      expect(thief.conversation_id).not.toBe(victim.conversation_id);
      expect(thief.session_id).not.toBe(victim.session_id);
    }
    // The secret is bound to the creator too: another creator's visitor of the same id has another.
    const other = await openSession(await widgetKeyOf((await createCreator()).access_token), { visitor_id: "victim-visitor-1" });
    expect(other.visitor_secret).not.toBe(victim.visitor_secret);

    const owner = await openSession(key, { visitor_id: "victim-visitor-1", visitor_secret: victim.visitor_secret, session_id: victim.session_id });
    expect(owner).toMatchObject({ resumed: true, session_id: victim.session_id, conversation_id: victim.conversation_id });
    const users = await env.DB.prepare("SELECT count(*) AS n FROM end_users WHERE creator_id = ? AND external_id = 'victim-visitor-1'").bind(c.creator.id).first<{ n: number }>();
    expect(users?.n).toBe(1);
  });
});

describe("allowed_origins", () => {
  it("holds for widget sessions and widget sockets (token or ticket)", { timeout: 30_000 }, async () => {
    const c = await createCreator();
    const key = await widgetKeyOf(c.access_token);
    const put = await api("/api/v1/creators/widget/config", { method: "PUT", token: c.access_token, json: { allowed_origins: ["https://coach.example"] } });
    expect(put.status).toBe(200);
    const refused = await api("/api/v1/channels/sessions", { method: "POST", json: { widget_key: key }, headers: { Origin: "https://evil.example" } });
    expect(refused.status).toBe(403);
    const s = await openSession(key, {}, "https://coach.example");

    const socket = (origin: string | null, query: string) =>
      api(`${s.websocket_url}?${query}`, { headers: { Upgrade: "websocket", ...(origin && { Origin: origin }) } });
    const token = `token=${encodeURIComponent(s.token)}`;
    const evil = await socket("https://evil.example", token);
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: { code: string } }).error.code).toBe("INSUFFICIENT_PERMISSIONS");
    expect((await socket(null, token)).status).toBe(403);
    const ticket = await api(`/api/v1/channels/sessions/${s.session_id}/ticket`, { method: "POST", token: s.token });
    expect(ticket.status).toBe(201);
    const t = (await ticket.json()) as { ticket: string };
    expect((await socket("https://evil.example", `ticket=${encodeURIComponent(t.ticket)}`)).status).toBe(403);
    const ok = await socket("https://coach.example", token);
    expect(ok.status).toBe(101);
    ok.webSocket?.accept();
    ok.webSocket?.close(1000, "done");
  });
});

describe("the embed snippet", () => {
  it("carries the Subresource Integrity of the widget.js being served", async () => {
    const c = await createCreator();
    const embed = (await (await api("/api/v1/creators/widget/embed-code", { token: c.access_token })).json()) as { embed_code: string; integrity: string };
    const script = await api("/widget.js");
    expect(script.status).toBe(200);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-384", await script.arrayBuffer()));
    const expected = `sha384-${btoa(String.fromCharCode(...digest))}`;
    expect(embed.integrity).toBe(expected);
    expect(embed.embed_code).toContain(`integrity="${expected}" crossorigin="anonymous"`);
  });

  it("the widget config's embed_code (GET and PUT) carries the integrity of the versioned script it points at: the browser's check passes on what GET serves", async () => {
    const c = await createCreator();
    const get = (await (await api("/api/v1/creators/widget/config", { token: c.access_token })).json()) as { embed_code: string; title: string };
    const put = (await (await api("/api/v1/creators/widget/config", { method: "PUT", token: c.access_token, json: { title: "Coach" } })).json()) as { embed_code: string };
    for (const snippet of [get.embed_code, put.embed_code]) {
      const m = /<script src="([^"]+)" data-widget-key="wk_[^"]+" integrity="(sha384-[A-Za-z0-9+/=]+)" crossorigin="anonymous" async><\/script>/.exec(snippet);
      expect(m, snippet).toBeTruthy();
      const path = new URL(m![1]!).pathname;
      expect(path).toMatch(/^\/widget\.[0-9a-f]{16}\.js$/);
      // What a browser does with integrity=: hash the bytes it received and compare.
      const served = await api(path);
      expect(served.status).toBe(200);
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-384", await served.arrayBuffer()));
      expect(m![2]).toBe(`sha384-${btoa(String.fromCharCode(...digest))}`);
    }
  });
});
