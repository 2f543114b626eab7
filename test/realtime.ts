// Factories for realtime tests: widget sessions and WebSocket clients through the real Worker.
import { expect, vi } from "vitest";
import { api, createCreator, STRONG_PASSWORD } from "./helpers";
import { FrameQueue, type Frame } from "./support/frame-queue";

export type { Frame } from "./support/frame-queue";

/** A WebSocket client (workerd side) that records every frame and lets a test wait for the next one it cares about. */
export class SocketClient extends FrameQueue {
  constructor(readonly ws: WebSocket) {
    super();
    ws.accept();
    ws.addEventListener("message", (e) => this.received(e.data as string));
    ws.addEventListener("close", (e) => this.ended(e.code, e.reason));
  }

  send(frame: unknown) {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Waits for the AI's final message after a question and checks the stream matched it. */
  async aiReply(): Promise<Frame> {
    const final = await this.next((f) => f.type === "message" && f.sender === "ai", { what: "ai message" });
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
  visitor_secret: string;
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
