// Issue 16 "one writer": conversations of the AI REST API (channel = api) are written by their
// conversation object like every other channel's: one sequence, seen live by an agent's socket.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationStub } from "../../src/realtime";
import { api, createCreator } from "../helpers";
import { connect, createAgent } from "../realtime";

describe("POST /api/v1/ai/conversations through the conversation object", { timeout: 60_000 }, () => {
  it("numbers both turns in the object's sequence and shows them on an agent's socket", async () => {
    const creator = await createCreator();
    const first = await api("/api/v1/ai/conversations", { method: "POST", token: creator.access_token, json: { message: "Hello there" } });
    expect(first.status).toBe(200);
    const { conversation_id, message_id } = (await first.json()) as { conversation_id: string; message_id: string };
    const summary = await conversationStub(env, conversation_id).summary(conversation_id, creator.creator.id);
    expect(summary.lastSeq).toBe(2);

    const agent = await createAgent(creator.access_token);
    const socket = await connect(`/api/v1/conversations/${conversation_id}/connect`, agent.access_token);
    const next = await api("/api/v1/ai/conversations", { method: "POST", token: creator.access_token, json: { message: "And again", conversation_id } });
    expect(next.status).toBe(200);
    const user = await socket.next((f) => f.type === "message" && f.sender === "user");
    expect(user.text).toBe("And again");
    const ai = await socket.next((f) => f.type === "message" && f.sender === "ai");
    expect(ai.id).toBe(((await next.json()) as { message_id: string }).message_id);
    socket.close();

    const res = await api(`/api/v1/conversations/${conversation_id}/messages`, { token: creator.access_token });
    const { messages } = (await res.json()) as { messages: { id: string; seq: number; sender: string }[] };
    const seqs = messages.map((m) => m.seq).sort((a, b) => a - b);
    // One sequence without gaps or duplicates: the object's (the agent's join notice included).
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(messages.find((m) => m.id === message_id)?.sender).toBe("ai");
    expect(messages.filter((m) => m.sender === "user")).toHaveLength(2);
  });
});
