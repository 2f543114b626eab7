// Tracker 11 (low): the widget opens its socket with a one-time, seconds-long ticket instead of its
// token in the URL (`?token=` keeps working for API clients), and our logs never show either.
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, createCreator } from "../helpers";
import { connect, openSession, widgetKeyOf } from "../realtime";

const upgrade = { Upgrade: "websocket" };

async function ticketFor(sessionId: string, token: string) {
  return api(`/api/v1/channels/sessions/${sessionId}/ticket`, { method: "POST", token });
}

async function status(path: string): Promise<number> {
  const res = await api(path, { headers: upgrade });
  res.webSocket?.accept();
  res.webSocket?.close();
  return res.status;
}

describe("POST /api/v1/channels/sessions/{session_id}/ticket", { timeout: 30_000 }, () => {
  afterEach(() => vi.restoreAllMocks());

  it("opens one widget socket with a ticket, once", async () => {
    const creator = await createCreator();
    const session = await openSession(await widgetKeyOf(creator.access_token));
    const res = await ticketFor(session.session_id, session.token);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { ticket: string; expires_in: number; websocket_url: string };
    expect(body.expires_in).toBeLessThanOrEqual(60);
    expect(body.websocket_url).toBe(session.websocket_url);
    expect(body.ticket).not.toContain(session.token);

    const tab = await connect(`${body.websocket_url}?ticket=${encodeURIComponent(body.ticket)}`);
    expect(tab.frames[0]).toMatchObject({ type: "connection_established", role: "user", conversationId: session.conversation_id });
    expect(await tab.say("t1", "hello over a ticket")).toBeGreaterThan(0);
    tab.close();
    // The same ticket again: refused.
    expect(await status(`${body.websocket_url}?ticket=${encodeURIComponent(body.ticket)}`)).toBe(401);
    // An API client may still connect with the token itself.
    const byToken = await connect(session.websocket_url, session.token);
    byToken.close();
  });

  it("refuses made-up tickets, another creator's path, strangers' tokens and ended sessions", async () => {
    const creator = await createCreator();
    const widgetKey = await widgetKeyOf(creator.access_token);
    const session = await openSession(widgetKey);
    const other = await openSession(widgetKey);
    expect(await status(`${session.websocket_url}?ticket=${creator.creator.id}.${session.conversation_id}.${"x".repeat(32)}`)).toBe(401);
    expect(await status(`${session.websocket_url}?ticket=nonsense`)).toBe(401);

    const { ticket } = (await (await ticketFor(session.session_id, session.token)).json()) as { ticket: string };
    const stranger = await createCreator();
    const strangerPath = `/api/v1/channels/widget/${stranger.creator.id}/connect`;
    expect(await status(`${strangerPath}?ticket=${encodeURIComponent(ticket)}`)).toBe(404);

    expect((await api(`/api/v1/channels/sessions/${session.session_id}/ticket`, { method: "POST" })).status).toBe(401);
    expect((await ticketFor(session.session_id, other.token)).status).toBe(404);
    expect((await ticketFor(session.session_id, creator.access_token)).status).toBe(401);

    // A ticket issued before the session ended opens nothing afterwards.
    const { ticket: late } = (await (await ticketFor(session.session_id, session.token)).json()) as { ticket: string };
    expect((await api(`/api/v1/channels/sessions/${session.session_id}`, { method: "DELETE", token: session.token })).status).toBe(204);
    expect(await status(`${session.websocket_url}?ticket=${encodeURIComponent(late)}`)).toBe(401);
    expect((await ticketFor(session.session_id, session.token)).status).toBe(401);
  });

  it("keeps tokens and tickets out of the access log and error reports", async () => {
    const creator = await createCreator();
    const session = await openSession(await widgetKeyOf(creator.access_token));
    const lines: string[] = [];
    for (const level of ["log", "warn", "error"] as const) vi.spyOn(console, level).mockImplementation((l: unknown) => void lines.push(String(l)));
    const secret = `${session.token.slice(0, -4)}AAAA`;
    expect(await status(`${session.websocket_url}?token=${secret}`)).toBe(401);
    expect(await status(`${session.websocket_url}?ticket=${creator.creator.id}.${session.conversation_id}.${"s".repeat(32)}&x=1`)).toBe(401);
    vi.restoreAllMocks();
    const requests = lines.filter((l) => l.includes('"message":"request"'));
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.some((l) => l.includes("token=[redacted]"))).toBe(true);
    expect(requests.some((l) => l.includes("ticket=[redacted]&x=1"))).toBe(true);
    for (const l of lines) {
      expect(l).not.toContain(secret);
      expect(l).not.toContain("s".repeat(32));
    }
  });
});
