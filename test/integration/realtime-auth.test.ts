// Token checks on every socket: widget tokens and creator tokens never stand in for each other.
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { CONVERSATION_HEADER, SOCKET_KIND_HEADER } from "../../src/realtime";
import { config } from "../../src/config";
import { currentSigner } from "../../src/modules/auth/keys";
import { widgetAudience } from "../../src/modules/widget";
import { conversationStub } from "../../src/realtime";
import { api, createCreator, errorOf } from "../helpers";
import { chatSetup, connect, createAgent, openSession, widgetKeyOf } from "../realtime";

const upgrade = { Upgrade: "websocket" };

describe("widget tokens vs creator tokens", () => {
  it("refuses a widget token as a creator access token", async () => {
    const { session } = await chatSetup();
    const res = await api("/api/v1/auth/me", { token: session.token });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("AUTHENTICATION_REQUIRED");
    const list = await api("/api/v1/conversations", { token: session.token });
    expect(list.status).toBe(401);
  });

  it("refuses a creator access token on the widget socket and a widget token on the agent socket", async () => {
    const { creator, session } = await chatSetup();
    const asWidget = await api(`${session.websocket_url}?token=${creator.access_token}`, { headers: upgrade });
    expect(asWidget.status).toBe(401);
    const asAgent = await api(`/api/v1/conversations/${session.conversation_id}/connect?token=${session.token}`, { headers: upgrade });
    expect(asAgent.status).toBe(401);
  });

  it("refuses missing, tampered and expired widget tokens, and non-upgrade requests", async () => {
    const { session } = await chatSetup();
    expect((await api(session.websocket_url, { headers: upgrade })).status).toBe(401);
    const tampered = session.token.slice(0, -4) + (session.token.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect((await api(`${session.websocket_url}?token=${tampered}`, { headers: upgrade })).status).toBe(401);
    const { kid, key } = await currentSigner(env);
    const expired = await new SignJWT({ creator_id: session.creator_id, conversation_id: session.conversation_id, sid: session.session_id, token_use: "widget" })
      .setProtectedHeader({ alg: "ES256", kid })
      .setSubject("someone")
      .setIssuer(config(env).jwt.issuer)
      .setAudience(widgetAudience(env))
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(key);
    const res = await api(`${session.websocket_url}?token=${expired}`, { headers: upgrade });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).message).toMatch(/expired/i);
    const plain = await api(`${session.websocket_url}?token=${session.token}`);
    expect(plain.status).toBe(400);
  });

  it("answers 404 when the widget token belongs to another creator's widget path", async () => {
    const { session } = await chatSetup();
    const other = await createCreator();
    const res = await api(`/api/v1/channels/widget/${other.creator.id}/connect?token=${session.token}`, { headers: upgrade });
    expect(res.status).toBe(404);
  });

  it("the object itself refuses a widget token of another conversation", async () => {
    const { widgetKey, session } = await chatSetup();
    const second = await openSession(widgetKey);
    const res = await conversationStub(env, second.conversation_id).fetch(
      new Request(`http://do/connect?token=${session.token}`, {
        headers: { ...upgrade, [CONVERSATION_HEADER]: second.conversation_id, [SOCKET_KIND_HEADER]: "widget" },
      }),
    );
    expect(res.status).toBe(404);
    // And a name that doesn't hash to the object is refused before anything is read.
    const wrong = await conversationStub(env, second.conversation_id).fetch(
      new Request(`http://do/connect?token=${second.token}`, {
        headers: { ...upgrade, [CONVERSATION_HEADER]: session.conversation_id, [SOCKET_KIND_HEADER]: "widget" },
      }),
    );
    expect(wrong.status).toBe(404);
  });
});

describe("WS /api/v1/conversations/{id}/connect (agents)", () => {
  it("lets an agent of the creator in and answers 404 to another creator's members", async () => {
    const { creator, session } = await chatSetup();
    const agent = await createAgent(creator.access_token);
    const joined = await connect(`/api/v1/conversations/${session.conversation_id}/connect`, agent.access_token);
    expect(joined.frames[0]).toMatchObject({ type: "connection_established", role: "agent" });
    joined.close();
    const stranger = await createCreator();
    const res = await api(`/api/v1/conversations/${session.conversation_id}/connect?token=${stranger.access_token}`, { headers: upgrade });
    expect(res.status).toBe(404);
    const missing = await api(`/api/v1/conversations/${crypto.randomUUID()}/connect?token=${creator.access_token}`, { headers: upgrade });
    expect(missing.status).toBe(404);
  });
});

describe("POST /api/v1/channels/sessions", () => {
  it("checks the Origin against the allowed origins (empty list allows any)", async () => {
    const creator = await createCreator();
    const key = await widgetKeyOf(creator.access_token);
    await openSession(key, {}, "https://anything.example");
    const put = await api("/api/v1/creators/widget/config", {
      method: "PUT",
      token: creator.access_token,
      json: { allowed_origins: ["https://shop.example.com"] },
    });
    expect(put.status).toBe(200);
    const ok = await openSession(key, {}, "https://shop.example.com");
    expect(ok.token).toBeTruthy();
    for (const origin of ["https://evil.example.com", undefined]) {
      const res = await api("/api/v1/channels/sessions", {
        method: "POST",
        json: { widget_key: key },
        ...(origin && { headers: { Origin: origin } }),
      });
      expect(res.status).toBe(403);
      expect((await errorOf(res)).code).toBe("INSUFFICIENT_PERMISSIONS");
    }
  });
});
