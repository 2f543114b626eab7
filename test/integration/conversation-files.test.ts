// Files in conversations (issue 14): upload, list, download and delete for members and the widget
// visitor, the spec's /api/v1/chat aliases, and every bad input: oversized, forged or active types,
// another creator's conversation, a visitor reaching another conversation's files.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { api, createCreator, errorOf } from "../helpers";
import { createAgent, openSession, widgetKeyOf } from "../realtime";
import { form, OGG, PDF, PNG, uploadFiles, uploadOne } from "../files-helpers";

async function setup() {
  const creator = await createCreator();
  const session = await openSession(await widgetKeyOf(creator.access_token));
  return { creator, session, conversationId: session.conversation_id };
}

async function r2Keys(prefix: string): Promise<string[]> {
  return (await env.FILES.list({ prefix })).objects.map((o) => o.key);
}

describe("POST /api/v1/conversations/{id}/files", () => {
  it("stores a member's file in R2 under the conversation's prefix and lists it", async () => {
    const { creator, conversationId } = await setup();
    const res = await uploadFiles(conversationId, creator.access_token, [
      { name: "meal plan.png", type: "image/png", bytes: PNG },
      { name: "blood-test.pdf", type: "application/pdf", bytes: PDF },
    ]);
    expect(res.status).toBe(201);
    const { files } = (await res.json()) as { files: { id: string; name: string; content_type: string; size: number; source: string; uploaded_by: string; download_url: string }[] };
    expect(files.map((f) => [f.name, f.content_type, f.size])).toEqual([
      ["meal plan.png", "image/png", PNG.byteLength],
      ["blood-test.pdf", "application/pdf", PDF.byteLength],
    ]);
    expect(files[0]!.uploaded_by).toBe(creator.creator.member.id);
    expect(files[0]!.download_url).toBe(`/api/v1/conversations/${conversationId}/files/${files[0]!.id}`);
    const keys = await r2Keys(`creators/${creator.creator.id}/conversations/${conversationId}/files/`);
    expect(keys.sort()).toEqual(files.map((f) => `creators/${creator.creator.id}/conversations/${conversationId}/files/${f.id}`).sort());

    const listed = await api(`/api/v1/conversations/${conversationId}/files`, { token: creator.access_token });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { files: { id: string }[] }).files.map((f) => f.id)).toEqual(files.map((f) => f.id));
  });

  it("decides the type from the bytes: an unlabelled PNG is image/png, a voice note audio/ogg", async () => {
    const { creator, conversationId } = await setup();
    const png = await uploadOne(conversationId, creator.access_token, "noext", PNG, "application/octet-stream");
    expect(png.content_type).toBe("image/png");
    const voice = await uploadOne(conversationId, creator.access_token, "voice.oga", OGG, "audio/ogg");
    expect(voice.content_type).toBe("audio/ogg");
  });

  it("refuses a forged type (a PDF declared as an image) with 415 and stores nothing", async () => {
    const { creator, conversationId } = await setup();
    const res = await uploadFiles(conversationId, creator.access_token, [
      { name: "ok.png", type: "image/png", bytes: PNG },
      { name: "cat.png", type: "image/png", bytes: PDF },
    ]);
    expect(res.status).toBe(415);
    const err = await errorOf(res);
    expect(err.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(err.message).toMatch(/cat\.png.*does not match/);
    expect(await r2Keys(`creators/${creator.creator.id}/`)).toEqual([]);
    const listed = await api(`/api/v1/conversations/${conversationId}/files`, { token: creator.access_token });
    expect(((await listed.json()) as { files: unknown[] }).files).toEqual([]);
  });

  it.each([
    ["page.html", "text/html", "<html><body><script>alert(1)</script></body></html>"],
    ["logo.svg", "image/svg+xml", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ["notes.txt", "text/plain", "<!DOCTYPE html><html><script>alert(document.cookie)</script>"],
    ["app.js", "application/octet-stream", "alert(1)"],
    ["x.bin", "application/octet-stream", new Uint8Array([0x00, 0x01, 0x02, 0x03, 0xfe, 0xff])],
  ])("refuses active or unknown content %s (%s) with 415", async (name, type, bytes) => {
    const { creator, conversationId } = await setup();
    const res = await uploadFiles(conversationId, creator.access_token, [{ name, type, bytes: typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes }]);
    expect(res.status).toBe(415);
    expect((await errorOf(res)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers 413 over CONVERSATION_FILE_MAX_BYTES", async () => {
    const { creator, conversationId } = await setup();
    const ctx = createExecutionContext();
    const body = form([{ name: "big.pdf", type: "application/pdf", bytes: new Uint8Array([...PDF, ...new Uint8Array(4096)]) }]);
    const res = await app.fetch(
      new Request(`http://localhost/api/v1/conversations/${conversationId}/files`, {
        method: "POST",
        body,
        headers: { Authorization: `Bearer ${creator.access_token}`, "CF-Connecting-IP": "198.51.100.77" },
      }),
      { ...env, CONVERSATION_FILE_MAX_BYTES: "2048" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("PAYLOAD_TOO_LARGE");
    expect(await r2Keys(`creators/${creator.creator.id}/`)).toEqual([]);
  });

  it("answers 415 for a body that is not multipart and 422 for a form without files", async () => {
    const { creator, conversationId } = await setup();
    const json = await api(`/api/v1/conversations/${conversationId}/files`, { method: "POST", token: creator.access_token, json: { file: "x" } });
    expect(json.status).toBe(415);
    const fd = new FormData();
    fd.append("note", "no file here");
    const empty = await api(`/api/v1/conversations/${conversationId}/files`, { method: "POST", token: creator.access_token, body: fd });
    expect(empty.status).toBe(422);
    expect((await errorOf(empty)).details[0]!.field).toBe("files");
  });

  it("another creator's conversation is 404, for upload, list, download and delete", async () => {
    const { creator, conversationId } = await setup();
    const file = await uploadOne(conversationId, creator.access_token);
    const other = await createCreator();
    const up = await uploadFiles(conversationId, other.access_token, [{ name: "x.png", type: "image/png", bytes: PNG }]);
    expect(up.status).toBe(404);
    expect((await api(`/api/v1/conversations/${conversationId}/files`, { token: other.access_token })).status).toBe(404);
    expect((await api(file.download_url, { token: other.access_token })).status).toBe(404);
    expect((await api(file.download_url, { method: "DELETE", token: other.access_token })).status).toBe(404);
    expect(await r2Keys(`creators/${other.creator.id}/`)).toEqual([]);
    // Still there for its owner.
    expect((await api(file.download_url, { token: creator.access_token })).status).toBe(200);
  });

  it("needs a credential; an agent may upload, a read-only API key may list but not upload", async () => {
    const { creator, conversationId } = await setup();
    expect((await api(`/api/v1/conversations/${conversationId}/files`)).status).toBe(401);
    const agent = await createAgent(creator.access_token);
    const byAgent = await uploadOne(conversationId, agent.access_token);
    expect(byAgent.content_type).toBe("image/png");
    const keyRes = await api("/api/v1/api-keys", { method: "POST", token: creator.access_token, json: { name: "reader", scopes: ["read"] } });
    expect(keyRes.status).toBe(201);
    const key = ((await keyRes.json()) as { key: string }).key;
    const listed = await api(`/api/v1/conversations/${conversationId}/files`, { headers: { "X-API-Key": key } });
    expect(listed.status).toBe(200);
    const refused = await api(`/api/v1/conversations/${conversationId}/files`, { method: "POST", headers: { "X-API-Key": key }, body: form([{ name: "a.png", type: "image/png", bytes: PNG }]) });
    expect(refused.status).toBe(403);
  });
});

describe("GET /api/v1/conversations/{id}/files/{file_id}", () => {
  it("serves the bytes with the checked type, a safe Content-Disposition and nosniff", async () => {
    const { creator, conversationId } = await setup();
    const img = await uploadOne(conversationId, creator.access_token, '../../etc/"évil"\u202ename.png', PNG, "image/png");
    // No path, no quotes, no bidi override (workerd's multipart encoding may percent-escape the quotes).
    expect(img.name).not.toMatch(/[/\\"\u202e]/);
    expect(img.name).toMatch(/évil.*name\.png$/);
    const res = await api(img.download_url, { token: creator.access_token });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("image/png");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    const disposition = res.headers.get("Content-Disposition")!;
    const m = /^inline; filename="([\x20-\x7e]+)"; filename\*=UTF-8''(\S+)$/.exec(disposition);
    expect(m, disposition).not.toBeNull();
    expect(m![1]).not.toMatch(/["\\]/);
    expect(decodeURIComponent(m![2]!)).toBe(img.name);
    expect(res.headers.get("Content-Security-Policy")).toContain("sandbox");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PNG);

    const pdf = await uploadOne(conversationId, creator.access_token, "report.pdf", PDF, "application/pdf");
    const dl = await api(pdf.download_url, { token: creator.access_token });
    expect(dl.headers.get("Content-Disposition")).toMatch(/^attachment; filename="report.pdf"/);
    await dl.arrayBuffer();
  });

  it("a file id of another conversation is 404 under this one", async () => {
    const { creator, conversationId } = await setup();
    const second = await openSession(await widgetKeyOf(creator.access_token));
    const file = await uploadOne(second.conversation_id, creator.access_token);
    const res = await api(`/api/v1/conversations/${conversationId}/files/${file.id}`, { token: creator.access_token });
    expect(res.status).toBe(404);
  });
});

describe("the widget visitor", () => {
  it("uploads, lists and downloads in their own conversation with their widget token", async () => {
    const { creator, session, conversationId } = await setup();
    const res = await uploadFiles(conversationId, session.token, [{ name: "me.png", type: "image/png", bytes: PNG }]);
    expect(res.status).toBe(201);
    const [file] = ((await res.json()) as { files: { id: string; source: string; end_user_id: string; uploaded_by: string | null; download_url: string }[] }).files;
    expect(file!.source).toBe("widget");
    expect(file!.uploaded_by).toBeNull();
    expect(file!.end_user_id).toBeTruthy();
    const dl = await api(file!.download_url, { token: session.token });
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(PNG);
    // The agent sees it too.
    const agentView = await api(file!.download_url, { token: creator.access_token });
    expect(agentView.status).toBe(200);
    await agentView.arrayBuffer();
  });

  it("is refused another conversation's files, even of the same creator", async () => {
    const { creator, session } = await setup();
    const other = await openSession(await widgetKeyOf(creator.access_token));
    const file = await uploadOne(other.conversation_id, other.token);
    expect((await api(`/api/v1/conversations/${other.conversation_id}/files`, { token: session.token })).status).toBe(404);
    expect((await api(file.download_url, { token: session.token })).status).toBe(404);
    expect((await api(file.download_url, { method: "DELETE", token: session.token })).status).toBe(404);
    const up = await uploadFiles(other.conversation_id, session.token, [{ name: "x.png", type: "image/png", bytes: PNG }]);
    expect(up.status).toBe(404);
    // Under their own conversation id, the other conversation's file doesn't exist either.
    expect((await api(`/api/v1/conversations/${session.conversation_id}/files/${file.id}`, { token: session.token })).status).toBe(404);
  });

  it("deletes only what they uploaded; an ended session's token is refused", async () => {
    const { creator, session, conversationId } = await setup();
    const mine = await uploadOne(conversationId, session.token);
    const agents = await uploadOne(conversationId, creator.access_token);
    expect((await api(agents.download_url, { method: "DELETE", token: session.token })).status).toBe(404);
    expect((await api(mine.download_url, { method: "DELETE", token: session.token })).status).toBe(204);
    expect((await api(mine.download_url, { token: creator.access_token })).status).toBe(404);
    const ended = await api(`/api/v1/channels/sessions/${session.session_id}`, { method: "DELETE", token: session.token });
    expect(ended.status).toBe(204);
    expect((await api(`/api/v1/conversations/${conversationId}/files`, { token: session.token })).status).toBe(401);
  });
});

describe("the chat spec's aliases", () => {
  it("POST /api/v1/chat/{chat_id}/upload, GET .../files, GET and DELETE .../files/{file_id}", async () => {
    const { creator, conversationId } = await setup();
    const up = await uploadFiles(conversationId, creator.access_token, [{ name: "a.png", type: "image/png", bytes: PNG }], `/api/v1/chat/${conversationId}/upload`);
    expect(up.status).toBe(201);
    const [file] = ((await up.json()) as { files: { id: string }[] }).files;
    const listed = await api(`/api/v1/chat/${conversationId}/files`, { token: creator.access_token });
    expect(((await listed.json()) as { files: { id: string }[] }).files.map((f) => f.id)).toEqual([file!.id]);
    const dl = await api(`/api/v1/chat/${conversationId}/files/${file!.id}`, { token: creator.access_token });
    expect(dl.headers.get("Content-Type")).toBe("image/png");
    await dl.arrayBuffer();
    expect((await api(`/api/v1/chat/${conversationId}/files/${file!.id}`, { method: "DELETE", token: creator.access_token })).status).toBe(204);
    expect(await r2Keys(`creators/${creator.creator.id}/conversations/${conversationId}/`)).toEqual([]);
  });
});

describe("plan storage", () => {
  const setStorage = (creatorId: string, bytes: number) =>
    api(`/api/v1/operator/creators/${creatorId}/plan`, {
      method: "PUT",
      headers: { Authorization: "Bearer test-operator-key-0123456789abcdef", "Content-Type": "application/json" },
      body: JSON.stringify({ tier: "free", overrides: { storage_bytes: bytes } }),
    });

  it("conversation files count against storage_bytes, for visitors' uploads as for members'", async () => {
    const { creator, session, conversationId } = await setup();
    expect((await setStorage(creator.creator.id, PNG.byteLength + 10)).status).toBe(200);
    const first = await uploadFiles(conversationId, session.token, [{ name: "a.png", type: "image/png", bytes: PNG }]);
    expect(first.status).toBe(201);
    const second = await uploadFiles(conversationId, session.token, [{ name: "b.png", type: "image/png", bytes: PNG }]);
    expect(second.status).toBe(429);
    expect(second.headers.get("X-Plan-Limit")).toBe("storage_bytes");
    const byMember = await uploadFiles(conversationId, creator.access_token, [{ name: "c.png", type: "image/png", bytes: PNG }]);
    expect(byMember.status).toBe(429);
    const listed = await api(`/api/v1/conversations/${conversationId}/files`, { token: creator.access_token });
    expect(((await listed.json()) as { files: unknown[] }).files).toHaveLength(1);
    const dashboard = (await (await api("/api/v1/auth/dashboard", { token: creator.access_token })).json()) as { usage: { storage_bytes: { used: number } } };
    expect(dashboard.usage.storage_bytes.used).toBe(PNG.byteLength);
  });
});
