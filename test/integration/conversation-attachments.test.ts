// Attachments on messages (issue 14): the `message` frame's `attachments` (files of this
// conversation only, at most MAX_ATTACHMENTS) are stored with the message in the object's log and
// the D1 mirror, shown to every socket, replayed on resume and listed by the REST messages API.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_ATTACHMENTS } from "../../src/realtime/protocol";
import { eventually } from "../channel-helpers";
import { api } from "../helpers";
import { chatSetup, connect, createAgent, openSession } from "../realtime";
import { PDF, uploadOne } from "../files-helpers";

describe("message attachments", () => {
  it("a visitor's photo reaches every socket with its name, type, size and download URL, and the REST list", async () => {
    const { creator, session, tab } = await chatSetup();
    const agent = await createAgent(creator.access_token);
    const desk = await connect(`/api/v1/conversations/${session.conversation_id}/connect`, agent.access_token);
    const file = await uploadOne(session.conversation_id, session.token, "lunch.png");

    tab.send({ type: "message", id: "photo-1", attachments: [file.id] });
    const ack = await tab.next((f) => f.type === "ack" && f.id === "photo-1");
    const expected = { id: file.id, name: "lunch.png", contentType: "image/png", size: file.size, url: file.download_url };
    const seen = await tab.next((f) => f.type === "message" && f.clientId === "photo-1");
    expect(seen).toMatchObject({ sender: "user", text: "", seq: ack.seq, attachments: [expected] });
    const atDesk = await desk.next((f) => f.type === "message" && f.seq === ack.seq);
    expect(atDesk.attachments).toEqual([expected]);

    const listed = await eventually(async () => {
      const res = await api(`/api/v1/conversations/${session.conversation_id}/messages`, { token: creator.access_token });
      const body = (await res.json()) as { messages: { seq: number; attachments: unknown[] }[] };
      return body.messages.find((m) => m.seq === ack.seq);
    }, "the mirrored message");
    expect(listed.attachments).toEqual([{ id: file.id, name: "lunch.png", content_type: "image/png", size: file.size, download_url: file.download_url }]);

    // A reconnecting tab gets the attachments in the replayed history.
    const again = await connect(session.websocket_url, session.token);
    again.send({ type: "resume", afterSeq: 0 });
    const replayed = await again.next((f) => f.type === "message" && f.seq === ack.seq);
    expect(replayed.attachments).toEqual([expected]);
    for (const s of [tab, desk, again]) s.close();
  });

  it("an agent sends a file with a caption; the visitor sees it", async () => {
    const { creator, session, tab } = await chatSetup();
    const agent = await createAgent(creator.access_token);
    const desk = await connect(`/api/v1/conversations/${session.conversation_id}/connect`, agent.access_token);
    const file = await uploadOne(session.conversation_id, agent.access_token, "plan.pdf", PDF, "application/pdf");
    desk.send({ type: "message", id: "agent-file", text: "Your plan for next week", attachments: [file.id] });
    await desk.next((f) => f.type === "ack" && f.id === "agent-file");
    const seen = await tab.next((f) => f.type === "message" && f.sender === "agent");
    expect(seen.text).toBe("Your plan for next week");
    expect(seen.attachments).toEqual([{ id: file.id, name: "plan.pdf", contentType: "application/pdf", size: file.size, url: file.download_url }]);
    tab.close();
    desk.close();
  });

  it("refuses attachment ids of another conversation (same creator) or unknown ids, and stores nothing", async () => {
    const { creator, session, tab } = await chatSetup();
    const other = await openSession((await (await api("/api/v1/creators/widget/config", { token: creator.access_token })).json() as { widget_key: string }).widget_key);
    const foreign = await uploadOne(other.conversation_id, other.token);
    tab.send({ type: "message", id: "steal", text: "look", attachments: [foreign.id] });
    const err = await tab.next((f) => f.type === "error" && f.id === "steal");
    expect(err.code).toBe("VALIDATION_ERROR");
    expect(err.message).toContain(foreign.id);
    tab.send({ type: "message", id: "made-up", text: "look", attachments: [crypto.randomUUID()] });
    expect((await tab.next((f) => f.type === "error" && f.id === "made-up")).code).toBe("VALIDATION_ERROR");
    tab.send({ type: "message", id: "not-a-uuid", text: "look", attachments: ["../etc"] });
    expect((await tab.next((f) => f.type === "error")).code).toBe("VALIDATION_ERROR");
    // A ping round trip: everything sent before it has been handled.
    tab.send({ type: "ping" });
    await tab.next("pong");
    expect(tab.frames.some((f) => f.type === "ack")).toBe(false);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE conversation_id = ?").bind(session.conversation_id).first<{ n: number }>();
    expect(rows?.n).toBe(0);
    tab.close();
  });

  it(`refuses more than ${MAX_ATTACHMENTS} attachments and a message with neither text nor files`, async () => {
    const { tab } = await chatSetup();
    tab.send({ type: "message", id: "many", text: "x", attachments: Array.from({ length: MAX_ATTACHMENTS + 1 }, () => crypto.randomUUID()) });
    expect((await tab.next("error")).code).toBe("VALIDATION_ERROR");
    tab.send({ type: "message", id: "nothing", attachments: [] });
    expect((await tab.next("error")).code).toBe("VALIDATION_ERROR");
    tab.close();
  });
});
