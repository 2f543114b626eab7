// REST around the realtime module: widget config and embed code, sessions, conversations, connections.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationStub } from "../../src/realtime";
import { api, createCreator, errorOf } from "../helpers";
import { chatSetup, connect, openSession, widgetKeyOf } from "../realtime";

describe("/api/v1/creators/widget/config", () => {
  it("creates the config with a public widget key and updates it partially", async () => {
    const c = await createCreator();
    const first = await api("/api/v1/creators/widget/config", { token: c.access_token });
    const cfg = (await first.json()) as Record<string, unknown>;
    expect(cfg).toMatchObject({ position: "bottom-right", allowed_origins: [], language: "en" });
    expect(cfg.widget_key).toMatch(/^wk_/);
    expect(cfg.embed_code).toContain(`data-widget-key="${cfg.widget_key}"`);
    const put = await api("/api/v1/creators/widget/config", {
      method: "PUT",
      token: c.access_token,
      json: { color: "#112233", welcome_message: "Hello!", allowed_origins: ["https://a.example", "https://a.example/"] },
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ color: "#112233", welcome_message: "Hello!", allowed_origins: ["https://a.example"], widget_key: cfg.widget_key });
  });

  it("rejects bad values with one detail per field and changes nothing", async () => {
    const c = await createCreator();
    const res = await api("/api/v1/creators/widget/config", {
      method: "PUT",
      token: c.access_token,
      json: { color: "blue", position: "top", language: "English!" },
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details.map((d) => d.field).sort()).toEqual(["color", "language", "position"]);
    const origins = await api("/api/v1/creators/widget/config", {
      method: "PUT",
      token: c.access_token,
      json: { allowed_origins: ["https://ok.example", "ftp://x", "https://x.example/path"] },
    });
    expect(origins.status).toBe(422);
    expect((await errorOf(origins)).details.map((d) => d.field)).toEqual(["allowed_origins.1", "allowed_origins.2"]);
    const unknown = await api("/api/v1/creators/widget/config", { method: "PUT", token: c.access_token, json: { colour: "#000000" } });
    expect(unknown.status).toBe(422);
    const after = (await (await api("/api/v1/creators/widget/config", { token: c.access_token })).json()) as Record<string, unknown>;
    expect(after).toMatchObject({ color: "#2563eb", allowed_origins: [] });
  });

  it("needs the admin permission to change and a token to read", async () => {
    expect((await api("/api/v1/creators/widget/config")).status).toBe(401);
    expect((await api("/api/v1/creators/widget/config", { method: "PUT", json: {} })).status).toBe(401);
  });
});

describe("embed code", () => {
  it("GET /creators/widget/embed-code and /channels/widget/embed/{creator_id} give the same one-line snippet; another creator's id is 404", async () => {
    const c = await createCreator();
    const a = (await (await api("/api/v1/creators/widget/embed-code", { token: c.access_token })).json()) as { embed_code: string };
    const b = (await (await api(`/api/v1/channels/widget/embed/${c.creator.id}`, { token: c.access_token })).json()) as { embed_code: string };
    expect(a.embed_code).toBe(b.embed_code);
    // The embed points at the versioned script (content hash), cached for a year and identical to /widget.js.
    const src = /^<script src="[^"]+(\/widget\.[0-9a-f]{16}\.js)" data-widget-key="wk_[^"]+" integrity="sha384-[A-Za-z0-9+/=]+" crossorigin="anonymous" async><\/script>$/.exec(a.embed_code)?.[1];
    expect(src, a.embed_code).toBeTruthy();
    const versioned = await api(src!);
    expect(versioned.status).toBe(200);
    expect(versioned.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    const plain = await api("/widget.js");
    expect(plain.headers.get("Cache-Control") ?? "").not.toContain("immutable");
    expect(await versioned.text()).toBe(await plain.text());
    // Only the versioned name is cached forever: a made-up hash is no file.
    expect((await api("/widget.0000000000000000.js")).status).toBe(404);
    const other = await createCreator();
    expect((await api(`/api/v1/channels/widget/embed/${other.creator.id}`, { token: c.access_token })).status).toBe(404);
    expect((await api(`/api/v1/channels/widget/embed/not-a-uuid`, { token: c.access_token })).status).toBe(422);
  });
});

describe("/api/v1/channels/sessions", () => {
  it("resumes a session of the same visitor, never another visitor's, and records one end user per visitor", async () => {
    const c = await createCreator();
    const key = await widgetKeyOf(c.access_token);
    const s1 = await openSession(key, { visitor_id: "visitor-0001" });
    expect(s1.resumed).toBe(false);
    const again = await openSession(key, { visitor_id: "visitor-0001", visitor_secret: s1.visitor_secret, session_id: s1.session_id });
    expect(again).toMatchObject({ resumed: true, session_id: s1.session_id, conversation_id: s1.conversation_id });
    const thief = await openSession(key, { visitor_id: "visitor-0002", session_id: s1.session_id });
    expect(thief.session_id).not.toBe(s1.session_id);
    expect(thief.conversation_id).not.toBe(s1.conversation_id);
    const users = await env.DB.prepare("SELECT external_id FROM end_users WHERE creator_id = ? ORDER BY external_id").bind(c.creator.id).all();
    expect(users.results).toEqual([{ external_id: "visitor-0001" }, { external_id: "visitor-0002" }]);
  });

  it("validates the body and answers 404 for an unknown widget key", async () => {
    const bad = await api("/api/v1/channels/sessions", { method: "POST", json: { widget_key: "", visitor_id: "x", session_id: "nope" } });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details.map((d) => d.field).sort()).toEqual(["session_id", "visitor_id", "widget_key"]);
    const unknown = await api("/api/v1/channels/sessions", { method: "POST", json: { widget_key: "wk_unknown" } });
    expect(unknown.status).toBe(404);
  });

  it("GET/PUT with the session's own widget token; another session's token gets 404", async () => {
    const c = await createCreator();
    const key = await widgetKeyOf(c.access_token);
    const mine = await openSession(key);
    const other = await openSession(key);
    const got = await api(`/api/v1/channels/sessions/${mine.session_id}`, { token: mine.token });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ session_id: mine.session_id, conversation_id: mine.conversation_id });
    const put = await api(`/api/v1/channels/sessions/${mine.session_id}`, {
      method: "PUT",
      token: mine.token,
      json: { language: "de", metadata: { page: "/pricing" } },
    });
    expect(await put.json()).toMatchObject({ language: "de", metadata: { page: "/pricing" } });
    expect((await api(`/api/v1/channels/sessions/${mine.session_id}`, { token: other.token })).status).toBe(404);
    expect((await api(`/api/v1/channels/sessions/${mine.session_id}`)).status).toBe(401);
    // The creator reads it with an access token; another creator can't.
    expect((await api(`/api/v1/channels/sessions/${mine.session_id}`, { token: c.access_token })).status).toBe(200);
    expect((await api(`/api/v1/channels/sessions/${mine.session_id}`, { token: (await createCreator()).access_token })).status).toBe(404);
    const bad = await api(`/api/v1/channels/sessions/${mine.session_id}`, { method: "PUT", token: mine.token, json: { language: 5 } });
    expect(bad.status).toBe(422);
  });
});

describe("/api/v1/conversations", () => {
  it("lists, filters, paginates and reads messages by seq; another creator sees nothing", async () => {
    const { creator, session, tab } = await chatSetup();
    await tab.say("m1", "first question");
    await tab.aiReply();
    await conversationStub(env, session.conversation_id).flushOutbox();
    const list = await api("/api/v1/conversations?status=active&channel=widget&limit=5", { token: creator.access_token });
    const body = (await list.json()) as { conversations: { id: string; last_seq: number }[]; pagination: Record<string, number> };
    expect(body.conversations.map((c) => c.id)).toEqual([session.conversation_id]);
    expect(body.conversations[0]!.last_seq).toBe(2);
    expect(body.pagination).toEqual({ page: 1, limit: 5, total: 1, pages: 1 });
    const page1 = (await (await api(`/api/v1/conversations/${session.conversation_id}/messages?limit=1`, { token: creator.access_token })).json()) as {
      messages: { seq: number; sender: string; sources: unknown }[];
      next_after_seq: number | null;
    };
    expect(page1.messages.map((m) => m.seq)).toEqual([1]);
    expect(page1.next_after_seq).toBe(1);
    const page2 = (await (await api(`/api/v1/conversations/${session.conversation_id}/messages?after_seq=1`, { token: creator.access_token })).json()) as typeof page1;
    expect(page2.messages.map((m) => m.sender)).toEqual(["ai"]);
    expect(Array.isArray(page2.messages[0]!.sources)).toBe(true);
    expect(page2.next_after_seq).toBeNull();

    const stranger = await createCreator();
    const theirs = (await (await api("/api/v1/conversations", { token: stranger.access_token })).json()) as { conversations: unknown[] };
    expect(theirs.conversations).toEqual([]);
    for (const path of ["", "/messages"]) {
      expect((await api(`/api/v1/conversations/${session.conversation_id}${path}`, { token: stranger.access_token })).status).toBe(404);
    }
    for (const action of ["reset", "archive", "release"]) {
      expect((await api(`/api/v1/conversations/${session.conversation_id}/${action}`, { method: "POST", token: stranger.access_token })).status).toBe(404);
    }
    expect((await api(`/api/v1/ai/conversations/${session.conversation_id}/context`, { token: stranger.access_token })).status).toBe(404);
    const badQuery = await api("/api/v1/conversations?status=open&limit=1000", { token: creator.access_token });
    expect(badQuery.status).toBe(422);
    expect((await errorOf(badQuery)).details.map((d) => d.field).sort()).toEqual(["limit", "status"]);
    tab.close();
  });

  it("reset clears the AI context and keeps the messages; the context endpoint shows turns since the reset", async () => {
    const { creator, session, tab } = await chatSetup();
    await tab.say("m1", "remember this");
    await tab.aiReply();
    await conversationStub(env, session.conversation_id).flushOutbox();
    const before = (await (await api(`/api/v1/ai/conversations/${session.conversation_id}/context`, { token: creator.access_token })).json()) as {
      history: { role: string }[];
      message_count: number;
      last_interaction: string | null;
    };
    expect(before.history.map((h) => h.role)).toEqual(["user", "assistant"]);
    expect(before.last_interaction).not.toBeNull();
    const reset = await api(`/api/v1/conversations/${session.conversation_id}/reset`, { method: "POST", token: creator.access_token });
    expect(reset.status).toBe(200);
    expect(((await reset.json()) as { context: Record<string, unknown> }).context).toEqual({ reset_at_seq: 2 });
    const after = (await (await api(`/api/v1/ai/conversations/${session.conversation_id}/context`, { token: creator.access_token })).json()) as typeof before;
    expect(after.history).toEqual([]);
    expect(after.message_count).toBe(2);
    tab.close();
  });

  it("archive stops new messages and the visitor's next session starts a new conversation", async () => {
    const { creator, widgetKey, session, tab } = await chatSetup();
    const res = await api(`/api/v1/conversations/${session.conversation_id}/archive`, { method: "POST", token: creator.access_token });
    expect(await res.json()).toMatchObject({ status: "archived" });
    tab.send({ type: "message", id: "late", text: "hello?" });
    expect(await tab.next("error")).toMatchObject({ code: "CONFLICT", id: "late" });
    tab.send({ type: "handover_request" });
    expect(await tab.next("error")).toMatchObject({ code: "CONFLICT" });
    expect(await (await api(`/api/v1/conversations/${session.conversation_id}`, { token: creator.access_token })).json()).toMatchObject({ status: "archived" });
    const next = await openSession(widgetKey, { visitor_id: session.visitor_id, visitor_secret: session.visitor_secret, session_id: session.session_id });
    expect(next.session_id).toBe(session.session_id);
    expect(next.conversation_id).not.toBe(session.conversation_id);
    tab.close();
  });
});

describe("GET /api/v1/channels/connections", () => {
  it("counts live sockets per conversation of this creator only", async () => {
    const { creator, session, tab } = await chatSetup();
    const second = await connect(session.websocket_url, session.token);
    await conversationStub(env, session.conversation_id).flushOutbox();
    const res = await api("/api/v1/channels/connections", { token: creator.access_token });
    expect(await res.json()).toMatchObject({ connections: [{ conversation_id: session.conversation_id, user_sockets: 2, agent_sockets: 0 }], total_sockets: 2 });
    const other = await createCreator();
    expect(await (await api("/api/v1/channels/connections", { token: other.access_token })).json()).toEqual({ connections: [], total_sockets: 0 });
    second.close();
    tab.close();
  });
});

describe("GET /widget.js and /demo", () => {
  it("serves the bundled widget and a demo page that embeds it for a creator", async () => {
    const js = await api("/widget.js");
    expect(js.status).toBe(200);
    expect(await js.text()).toContain("edgecoach-widget");
    const c = await createCreator();
    const key = await widgetKeyOf(c.access_token);
    const page = await api(`/demo?creator_id=${c.creator.id}`);
    expect(page.status).toBe(200);
    // The demo embeds the versioned script, like the embed code.
    expect(await page.text()).toMatch(new RegExp(`<script src="http://localhost/widget\\.[0-9a-f]{16}\\.js" data-widget-key="${key}" async></script>`));
    expect((await api(`/demo?creator_id=${crypto.randomUUID()}`)).status).toBe(404);
  });
});

describe("GET /openapi.json", () => {
  it("documents the realtime, widget and conversation paths", async () => {
    const doc = (await (await api("/openapi.json")).json()) as { paths: Record<string, unknown> };
    for (const path of [
      "/api/v1/channels/sessions",
      "/api/v1/channels/sessions/{session_id}",
      "/api/v1/channels/connections",
      "/api/v1/channels/widget/{creator_id}/connect",
      "/api/v1/channels/widget/embed/{creator_id}",
      "/api/v1/creators/widget/config",
      "/api/v1/creators/widget/embed-code",
      "/api/v1/conversations",
      "/api/v1/conversations/{conversation_id}",
      "/api/v1/conversations/{conversation_id}/messages",
      "/api/v1/conversations/{conversation_id}/reset",
      "/api/v1/conversations/{conversation_id}/archive",
      "/api/v1/conversations/{conversation_id}/release",
      "/api/v1/conversations/{conversation_id}/connect",
      "/api/v1/ai/conversations/{conversation_id}/context",
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });
});
