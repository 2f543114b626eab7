// Factories for realtime tests: widget sessions and WebSocket clients through the real Worker.
import { expect, vi } from "vitest";
import { api, createCreator, STRONG_PASSWORD } from "./helpers";

export type Frame = { type: string; [k: string]: any };

/** A WebSocket client that records every frame and lets a test wait for the next one it cares about. */
export class SocketClient {
  readonly frames: Frame[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | null = null;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => {
      this.frames.push(JSON.parse(e.data as string) as Frame);
      this.wake();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake();
    });
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  send(frame: unknown) {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The next not-yet-consumed frame matching `match` (frames before it stay available to later waits). */
  async next(match: string | ((f: Frame) => boolean), what = String(match)): Promise<Frame> {
    const pred = typeof match === "string" ? (f: Frame) => f.type === match : match;
    const deadline = Date.now() + 10_000;
    for (;;) {
      for (let i = this.cursor; i < this.frames.length; i++) {
        const f = this.frames[i]!;
        if (pred(f)) {
          this.frames.splice(i, 1);
          this.frames.splice(this.cursor, 0, f);
          this.cursor++;
          return f;
        }
      }
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`no ${what} frame; got ${JSON.stringify(this.frames.slice(this.cursor))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  /** Sends a message and waits for its ack. */
  async say(id: string, text: string): Promise<number> {
    this.send({ type: "message", id, text });
    const ack = await this.next((f) => (f.type === "ack" && f.id === id) || (f.type === "error" && f.id === id), `ack ${id}`);
    if (ack.type !== "ack") throw new Error(`message ${id} refused: ${JSON.stringify(ack)}`);
    return ack.seq as number;
  }

  /** Waits for the AI's final message after a question and checks the stream matched it. */
  async aiReply(): Promise<Frame> {
    const final = await this.next((f) => f.type === "message" && f.sender === "ai", "ai message");
    const deltas = this.frames.filter((f) => f.type === "ai_delta" && f.messageId === final.id).map((f) => f.delta).join("");
    expect(deltas).toBe(final.text);
    expect(Array.isArray(final.sources)).toBe(true);
    return final;
  }

  close() {
    try {
      this.ws.close(1000, "done");
    } catch {
      /* closed */
    }
  }
}

export async function connect(path: string, token?: string): Promise<SocketClient> {
  const res = await api(`${path}${token === undefined ? "" : `?token=${encodeURIComponent(token)}`}`, { headers: { Upgrade: "websocket" } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`connect ${path}: ${res.status} ${await res.text()}`);
  const client = new SocketClient(res.webSocket);
  await client.next("connection_established");
  return client;
}

export interface WidgetSession {
  session_id: string;
  visitor_id: string;
  conversation_id: string;
  creator_id: string;
  token: string;
  websocket_url: string;
  resumed: boolean;
}

export async function widgetKeyOf(accessToken: string): Promise<string> {
  const res = await api("/api/v1/creators/widget/config", { token: accessToken });
  expect(res.status).toBe(200);
  return ((await res.json()) as { widget_key: string }).widget_key;
}

export async function openSession(widgetKey: string, body: Record<string, unknown> = {}, origin?: string): Promise<WidgetSession> {
  const res = await api("/api/v1/channels/sessions", {
    method: "POST",
    json: { widget_key: widgetKey, ...body },
    ...(origin && { headers: { Origin: origin } }),
  });
  if (res.status !== 201) throw new Error(`session: ${res.status} ${await res.text()}`);
  return (await res.json()) as WidgetSession;
}

/** A creator with a widget, one visitor session and a connected widget socket. */
export async function chatSetup() {
  const creator = await createCreator();
  const widgetKey = await widgetKeyOf(creator.access_token);
  const session = await openSession(widgetKey);
  const tab = await connect(session.websocket_url, session.token);
  return { creator, widgetKey, session, tab };
}

/** A team member with the agent role, signed in (the invitation token is read from the logged mail). */
export async function createAgent(ownerToken: string, fullName = "Jane Agent"): Promise<{ access_token: string; member_id: string; name: string }> {
  const email = `agent-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const logged: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void logged.push(String(line)));
  let invited: Response;
  try {
    invited = await api("/api/v1/team/members", { method: "POST", token: ownerToken, json: { email, full_name: fullName, role: "agent" } });
  } finally {
    spy.mockRestore();
  }
  expect(invited.status).toBe(201);
  const mail = logged.map((l) => JSON.parse(l) as { mail_to?: string; body?: string }).find((l) => l.mail_to === email);
  const token = /Invitation token: (\S+)/.exec(mail?.body ?? "")?.[1];
  if (!token) throw new Error("no invitation mail logged");
  const accepted = await api("/api/v1/auth/invitations/accept", { method: "POST", json: { token, password: STRONG_PASSWORD } });
  expect(accepted.status).toBe(200);
  const body = (await accepted.json()) as { access_token: string; creator: { member: { id: string } } };
  return { access_token: body.access_token, member_id: body.creator.member.id, name: fullName };
}
