// Widget sessions: a visitor (end user) of a creator, their conversation and a short-lived widget token.
import { desc, eq, gt, isNull, or } from "drizzle-orm";
import { tenant } from "../../db/client";
import { conversationPresence, conversations, creators, endUsers, widgetSessions } from "../../db/schema";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { forbidden, notFound } from "../../lib/errors";
import { newId, randomToken } from "../../lib/ids";
import { conversationStub } from "../../realtime";
import { onEndUserCreated } from "../programs";
import { verifyLiveWidgetToken } from "./revocation";
import { widgetSocketPath } from "./socket";
import { issueWidgetToken } from "./tokens";
import { configByKey, originAllowed, publicConfig } from "./service";
import { visitorSecret, visitorSecretValid } from "./visitor-secret";
import type { CreateSessionInput, UpdateSessionInput } from "./widget-session-schemas";
import { DEFAULT_ASSISTANT_NAME, getPersona } from "../assistant";

type SessionRow = typeof widgetSessions.$inferSelect;


export function presentSession(row: SessionRow) {
  return {
    session_id: row.id,
    visitor_id: row.visitorId,
    end_user_id: row.endUserId,
    conversation_id: row.conversationId,
    creator_id: row.creatorId,
    language: row.language,
    metadata: row.metadata,
    ended_at: row.endedAt,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/**
 * Public: the widget key names the creator; the page's Origin must be allowed (empty list = any).
 * A known session of the same visitor is resumed unless it was ended (a completed conversation too: writing reopens it);
 * an archived conversation gets a fresh one.
 */
/**
 * A client may choose a new visitor's id (an integrator's own user id), and gets its visitor_secret.
 * An id that already names a visitor is theirs only with that secret; without it the claim is
 * dropped and a new visitor starts (no error), so an id alone never takes over an identity.
 */
async function claimVisitor(env: Env, t: ReturnType<typeof tenant>, input: CreateSessionInput): Promise<string | undefined> {
  if (!input.visitor_id) return undefined;
  if (await visitorSecretValid(env, t.creatorId, input.visitor_id, input.visitor_secret)) return input.visitor_id;
  const taken = await t.db
    .select({ id: endUsers.id })
    .from(endUsers)
    .where(t.where(endUsers, eq(endUsers.channel, "widget"), eq(endUsers.externalId, input.visitor_id)))
    .get();
  return taken ? undefined : input.visitor_id;
}

export async function createSession(env: Env, input: CreateSessionInput, origin: string | null) {
  const widget = await configByKey(env, input.widget_key);
  if (!widget) throw notFound("Widget");
  if (!originAllowed(widget, origin)) {
    throw forbidden("This website is not allowed to use the widget");
  }
  const t = tenant(env.DB, widget.creatorId);
  const creator = await t.db.select({ status: creators.status, isActive: creators.isActive }).from(creators).where(eq(creators.id, t.creatorId)).get();
  if (!creator || creator.status !== "active" || !creator.isActive) throw notFound("Widget");

  const now = nowIso();
  const claimed = await claimVisitor(env, t, input);
  let session: SessionRow | undefined;
  if (input.session_id && claimed) {
    session = await t.db
      .select()
      .from(widgetSessions)
      .where(t.where(widgetSessions, eq(widgetSessions.id, input.session_id), eq(widgetSessions.visitorId, claimed), isNull(widgetSessions.endedAt)))
      .get();
  }
  let resumed = false;
  if (session) {
    const conversation = await t.db
      .select({ status: conversations.status })
      .from(conversations)
      .where(t.where(conversations, eq(conversations.id, session.conversationId)))
      .get();
    // A completed conversation is resumed (the visitor's next message reopens it); archived is closed for good.
    if (conversation && conversation.status !== "archived") {
      resumed = true;
    } else {
      const conversationId = newId();
      await t.db.batch([
        t.db.insert(conversations).values({ id: conversationId, creatorId: t.creatorId, endUserId: session.endUserId, channel: "widget" }),
        t.db.update(widgetSessions).set({ conversationId, updatedAt: now }).where(t.where(widgetSessions, eq(widgetSessions.id, session.id))),
      ]);
      session = { ...session, conversationId, updatedAt: now };
    }
  } else {
    const visitorId = claimed ?? randomToken(16);
    const newEndUserId = newId();
    // One end-user record per visitor of this creator, however many sessions they open.
    const endUser = await t.db
      .insert(endUsers)
      .values({ id: newEndUserId, creatorId: t.creatorId, channel: "widget", externalId: visitorId, language: input.language ?? null, lastActiveAt: now })
      .onConflictDoUpdate({ target: [endUsers.creatorId, endUsers.channel, endUsers.externalId], set: { lastActiveAt: now } })
      .returning({ id: endUsers.id })
      .get();
    const conversationId = newId();
    const row: SessionRow = {
      id: newId(),
      creatorId: t.creatorId,
      endUserId: endUser.id,
      conversationId,
      visitorId,
      origin,
      language: input.language ?? null,
      metadata: input.metadata ?? {},
      endedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await t.db.batch([
      t.db.insert(conversations).values({ id: conversationId, creatorId: t.creatorId, endUserId: endUser.id, channel: "widget", metadata: { origin } }),
      t.db.insert(widgetSessions).values(row),
    ]);
    session = row;
    // A new visitor (the insert's own id came back): programs with auto-enrol take them in.
    if (endUser.id === newEndUserId) await onEndUserCreated(env, { creatorId: t.creatorId, endUserId: endUser.id });
  }
  const { token, expiresIn } = await issueWidgetToken(env, {
    creatorId: t.creatorId,
    endUserId: session.endUserId,
    conversationId: session.conversationId,
    sessionId: session.id,
    epoch: widget.tokenEpoch,
  });
  return {
    session_id: session.id,
    visitor_id: session.visitorId,
    visitor_secret: await visitorSecret(env, t.creatorId, session.visitorId),
    conversation_id: session.conversationId,
    creator_id: t.creatorId,
    token,
    expires_in: expiresIn,
    websocket_url: widgetSocketPath(t.creatorId),
    resumed,
    // The persona's name heads the widget and its greeting is the first bubble (module assistant).
    widget: publicConfig(widget, await widgetPersona(env, t.creatorId)),
  };
}

export async function getSession(env: Env, creatorId: string, sessionId: string) {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(widgetSessions).where(t.where(widgetSessions, eq(widgetSessions.id, sessionId))).get();
  if (!row) throw notFound("Session");
  return presentSession(row);
}

export async function updateSession(env: Env, creatorId: string, sessionId: string, input: UpdateSessionInput) {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select().from(widgetSessions).where(t.where(widgetSessions, eq(widgetSessions.id, sessionId))).get();
  if (!row) throw notFound("Session");
  const now = nowIso();
  const updated = await t.db
    .update(widgetSessions)
    .set({
      ...(input.language !== undefined && { language: input.language }),
      // Merged key by key, like creator settings.
      ...(input.metadata !== undefined && { metadata: { ...row.metadata, ...input.metadata } }),
      updatedAt: now,
    })
    .where(t.where(widgetSessions, eq(widgetSessions.id, sessionId)))
    .returning()
    .get();
  if (input.language !== undefined) {
    await t.db.update(endUsers).set({ language: input.language }).where(t.where(endUsers, eq(endUsers.id, row.endUserId)));
  }
  return presentSession(updated!);
}

/**
 * Ends a widget session (the visitor's "end chat", or an agent): its widget tokens are revoked and
 * the sockets holding them closed; the conversation stays, and the visitor's next session starts anew.
 */
export async function endSession(env: Env, creatorId: string, sessionId: string): Promise<void> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db
    .update(widgetSessions)
    .set({ endedAt: nowIso(), updatedAt: nowIso() })
    .where(t.where(widgetSessions, eq(widgetSessions.id, sessionId), isNull(widgetSessions.endedAt)))
    .returning({ conversationId: widgetSessions.conversationId })
    .get();
  if (!row) {
    const exists = await t.db.select({ id: widgetSessions.id }).from(widgetSessions).where(t.where(widgetSessions, eq(widgetSessions.id, sessionId))).get();
    if (!exists) throw notFound("Session");
    return; // ended before: nothing more to do
  }
  await conversationStub(env, row.conversationId).revokeWidgetSockets(row.conversationId, t.creatorId, { sessionId });
}

/** Live sockets per conversation, as the conversations' objects last reported them. */
export async function liveConnections(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db
    .select()
    .from(conversationPresence)
    .where(t.where(conversationPresence, or(gt(conversationPresence.userSockets, 0), gt(conversationPresence.agentSockets, 0))))
    .orderBy(desc(conversationPresence.updatedAt))
    .limit(500)
    .all();
  const connections = rows.map((r) => ({
    conversation_id: r.conversationId,
    user_sockets: r.userSockets,
    agent_sockets: r.agentSockets,
    updated_at: r.updatedAt,
  }));
  return { connections, total_sockets: connections.reduce((n, c) => n + c.user_sockets + c.agent_sockets, 0) };
}

/** A one-time socket ticket for the session's own live widget token (POST …/sessions/{id}/ticket). */
export async function issueSocketTicket(env: Env, token: string, sessionId: string, near?: Request) {
  const claims = await verifyLiveWidgetToken(env, token);
  if (claims.sid !== sessionId) throw notFound("Session");
  const who = { role: "user" as const, endUserId: claims.sub, sessionId: claims.sid, epoch: claims.kep ?? 0 };
  const issued = await conversationStub(env, claims.conversation_id, near).issueWidgetTicket(claims.conversation_id, claims.creator_id, who);
  return { ticket: issued.ticket, expires_in: issued.expiresIn, websocket_url: widgetSocketPath(claims.creator_id) };
}

/** The persona as the widget shows it: a name only when the creator gave one (else the widget's title). */
async function widgetPersona(env: Env, creatorId: string) {
  const p = await getPersona(env, creatorId);
  return { name: p.name === DEFAULT_ASSISTANT_NAME ? null : p.name, greeting: p.greeting };
}
