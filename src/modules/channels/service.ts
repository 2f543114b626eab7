// Channel management: create/list/update/delete with per-type validation, secrets sealed at rest
// and masked in responses; Telegram connects with getMe + setWebhook, WhatsApp waits for Meta's
// verification handshake.
import { desc, eq, sql } from "drizzle-orm";
import { config } from "../../config";
import { getDb, tenant } from "../../db/client";
import { channelEvents, channelMessageRefs, channels, conversations, type ChannelType } from "../../db/schema";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { conflict, invalid } from "../../lib/errors";
import { newId, randomToken } from "../../lib/ids";
import { log } from "../../lib/logging";
import { CONFIG_SCHEMAS, type CreateChannelInput, type UpdateChannelInput } from "./schemas";
import { isMask, mask, openSecrets, sealSecrets, SECRET_FIELDS, webhookKeyHash, type ChannelSecrets } from "./secrets";
import { getChannel, type ChannelRow } from "./store";
import { TelegramClient } from "./telegram";
import { forgetChannel } from "./webhook-cache";

type Stats = { userCount: number; lastActivityAt: string | null };

export function webhookUrl(env: Env, type: ChannelType, id: string): string {
  return `${config(env).publicBaseUrl}/webhooks/${type}/${id}`;
}

export function presentChannel(env: Env, row: ChannelRow, stats: Stats = { userCount: 0, lastActivityAt: null }) {
  const configuration: Record<string, unknown> = { ...row.configuration };
  // Email has no webhook: mail reaches the Worker's email() handler through an Email Routing rule.
  if (row.type === "email") configuration.inbound_address = row.externalAccountId;
  else if (row.type !== "web") configuration.webhook_url = webhookUrl(env, row.type, row.id);
  return {
    id: row.id,
    channel_type: row.type,
    channel_name: row.name,
    status: row.status,
    status_detail: row.statusDetail,
    configuration,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    user_count: stats.userCount,
    last_activity_at: stats.lastActivityAt,
  };
}

async function statsOf(env: Env, creatorId: string, channelIds: string[]): Promise<Map<string, Stats>> {
  const out = new Map<string, Stats>();
  if (!channelIds.length) return out;
  const t = tenant(env.DB, creatorId);
  const rows = await t.db
    .select({
      channelId: conversations.channelId,
      users: sql<number>`count(distinct ${conversations.endUserId})`,
      last: sql<string | null>`max(${conversations.lastMessageAt})`,
    })
    .from(conversations)
    .where(t.where(conversations, sql`${conversations.channelId} in ${channelIds}`))
    .groupBy(conversations.channelId)
    .all();
  for (const r of rows) out.set(r.channelId!, { userCount: Number(r.users), lastActivityAt: r.last });
  return out;
}

export async function listChannels(env: Env, creatorId: string) {
  const t = tenant(env.DB, creatorId);
  const rows = await t.db.select().from(channels).where(t.where(channels)).orderBy(desc(channels.createdAt)).all();
  const stats = await statsOf(env, creatorId, rows.map((r) => r.id));
  return { channels: rows.map((r) => presentChannel(env, r, stats.get(r.id))) };
}

export async function readChannel(env: Env, creatorId: string, channelId: string) {
  const row = await getChannel(env, creatorId, channelId);
  return presentChannel(env, row, (await statsOf(env, creatorId, [row.id])).get(row.id));
}

/** Configuration keys the server writes (GET shows them; a PUT of the GET representation sends them back). */
const READ_ONLY_CONFIG = ["webhook_url", "bot_id", "bot_username", "bot_name"];

/** Splits a validated configuration into what is stored in clear (with masks) and the secrets. */
function splitSecrets(type: ChannelType, cfg: Record<string, unknown>) {
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if ((SECRET_FIELDS[type] as readonly string[]).includes(k)) {
      secrets[k] = String(v);
      plain[k] = mask(String(v));
    } else plain[k] = v;
  }
  return { plain, secrets };
}

interface Connection {
  status: ChannelRow["status"];
  statusDetail: string | null;
  externalAccountId: string | null;
  extra: Record<string, unknown>;
}

const telegram = (env: Env, token: string) => new TelegramClient(config(env).channels.telegramApiBaseUrl, token);

/** getMe proves the token (and names the bot, refused when another channel has it). */
async function checkBot(env: Env, token: string, exceptId?: string) {
  const me = await telegram(env, token).getMe();
  if (me.answer.ok && me.answer.result) await assertAccountFree(env, "telegram", String(me.answer.result.id), exceptId);
  return me;
}

/** setWebhook points the bot at this channel with our random secret_token. */
async function connectTelegram(env: Env, channelId: string, token: string, secret: string, me: Awaited<ReturnType<TelegramClient["getMe"]>>): Promise<Connection> {
  const client = telegram(env, token);
  if (!me.answer.ok || !me.answer.result) {
    return { status: "error", statusDetail: me.answer.description ?? "getMe failed", externalAccountId: null, extra: {} };
  }
  const bot = me.answer.result;
  const extra = { bot_id: bot.id, bot_username: bot.username ?? null, bot_name: bot.first_name ?? null };
  const hook = await client.setWebhook(webhookUrl(env, "telegram", channelId), secret);
  if (!hook.answer.ok) return { status: "error", statusDetail: hook.answer.description ?? "setWebhook failed", externalAccountId: String(bot.id), extra };
  return { status: "active", statusDetail: null, externalAccountId: String(bot.id), extra };
}

function isUniqueViolation(err: unknown) {
  return /UNIQUE/i.test(String((err as Error)?.message) + String((err as { cause?: unknown })?.cause));
}

async function assertAccountFree(env: Env, type: ChannelType, accountId: string | null, exceptId?: string) {
  if (!accountId) return;
  // Platform-wide on purpose: one bot / number can only point its webhook at one channel.
  const row = await getDb(env.DB)
    .select({ id: channels.id })
    .from(channels)
    .where(sql`${channels.type} = ${type} and ${channels.externalAccountId} = ${accountId}`)
    .get();
  if (row && row.id !== exceptId) {
    throw conflict(
      type === "telegram" ? "This bot is already connected to a channel" : type === "email" ? "This inbound address is already taken" : "This WhatsApp number is already connected to a channel",
    );
  }
}

export async function createChannel(env: Env, creatorId: string, input: CreateChannelInput) {
  const t = tenant(env.DB, creatorId);
  const id = newId();
  const { plain, secrets } = splitSecrets(input.channel_type, input.configuration as Record<string, unknown>);
  const at = nowIso();
  let row: typeof channels.$inferInsert = {
    id,
    creatorId: t.creatorId,
    type: input.channel_type,
    name: input.channel_name,
    status: "active",
    configuration: plain,
    createdAt: at,
    updatedAt: at,
  };

  if (input.channel_type === "telegram") {
    const sealed: ChannelSecrets = { bot_token: secrets.bot_token!, webhook_secret: randomToken(32) };
    // getMe first so a bot already connected elsewhere is refused before its webhook is moved.
    const me = await checkBot(env, sealed.bot_token!);
    row = { ...row, status: "pending_verification", secrets: await sealSecrets(env, sealed), webhookKeyHash: await webhookKeyHash(sealed.webhook_secret!) };
    await insertChannel(env, row);
    const conn = await connectTelegram(env, id, sealed.bot_token!, sealed.webhook_secret!, me);
    await applyConnection(env, creatorId, id, plain, conn);
  } else if (input.channel_type === "whatsapp") {
    const cfg = input.configuration;
    await assertAccountFree(env, "whatsapp", cfg.phone_number_id);
    row = {
      ...row,
      // Active once Meta's GET handshake presents the verify token.
      status: "pending_verification",
      externalAccountId: cfg.phone_number_id,
      secrets: await sealSecrets(env, { access_token: cfg.access_token, app_secret: cfg.app_secret, webhook_verify_token: cfg.webhook_verify_token }),
      webhookKeyHash: await webhookKeyHash(cfg.webhook_verify_token),
    };
    await insertChannel(env, row);
  } else if (input.channel_type === "email") {
    const address = emailAddressOf(env, input.configuration.local_part);
    await assertAccountFree(env, "email", address);
    row = { ...row, externalAccountId: address, configuration: { ...plain, local_part: address.split("@")[0] } };
    await insertChannel(env, row);
  } else {
    await insertChannel(env, row);
  }
  return readChannel(env, creatorId, id);
}

/** The inbound address: <local part>@EMAIL_INBOUND_DOMAIN, the local part chosen or random (unguessable, so
 * nobody finds a creator's address by trying names). */
function emailAddressOf(env: Env, localPart: string | undefined): string {
  const local = localPart ?? `c-${randomToken(9).toLowerCase().replace(/[^a-z0-9]/g, "")}`;
  return `${local}@${config(env).channels.email.inboundDomain}`;
}

async function insertChannel(env: Env, row: typeof channels.$inferInsert) {
  try {
    await tenant(env.DB, row.creatorId).db.insert(channels).values(row).run();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict("This account is already connected to a channel");
    throw err;
  }
}

async function applyConnection(env: Env, creatorId: string, id: string, plain: Record<string, unknown>, conn: Connection) {
  const t = tenant(env.DB, creatorId);
  try {
    await t.db
      .update(channels)
      .set({ status: conn.status, statusDetail: conn.statusDetail, externalAccountId: conn.externalAccountId, configuration: { ...plain, ...conn.extra }, updatedAt: nowIso() })
      .where(t.where(channels, eq(channels.id, id)))
      .run();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Lost a race for the same bot: this row must not keep a webhook pointing at it.
    await t.db.delete(channels).where(t.where(channels, eq(channels.id, id))).run();
    throw conflict("This bot is already connected to a channel");
  }
}

export async function updateChannel(env: Env, creatorId: string, channelId: string, input: UpdateChannelInput) {
  const t = tenant(env.DB, creatorId);
  const row = await getChannel(env, creatorId, channelId);
  const current = await openSecrets(env, row.secrets);
  let plain = { ...row.configuration };
  let secrets: ChannelSecrets = { ...current };
  let tokenChanged = false;
  let newAddress: string | undefined;

  if (input.configuration) {
    // Masks sent back unchanged (****abcd) mean "keep the secret".
    // The fields GET adds (the webhook URL, the bot's identity) are read-only: sent back, they are ignored.
    const given = Object.fromEntries(
      Object.entries(input.configuration).filter(([k, v]) => !READ_ONLY_CONFIG.includes(k) && !((SECRET_FIELDS[row.type] as readonly string[]).includes(k) && isMask(v))),
    );
    const parsed = CONFIG_SCHEMAS[row.type].partial().safeParse(given);
    if (!parsed.success) throw invalid(parsed.error.issues.map((i) => ({ field: ["configuration", ...i.path.map(String)].join("."), message: i.message })));
    const split = splitSecrets(row.type, parsed.data as Record<string, unknown>);
    if (row.type === "whatsapp" && split.plain.phone_number_id && split.plain.phone_number_id !== row.externalAccountId) {
      await assertAccountFree(env, "whatsapp", String(split.plain.phone_number_id), row.id);
    }
    if (row.type === "email" && typeof split.plain.local_part === "string") {
      newAddress = emailAddressOf(env, split.plain.local_part);
      if (newAddress !== row.externalAccountId) await assertAccountFree(env, "email", newAddress, row.id);
    }
    plain = { ...plain, ...split.plain };
    tokenChanged = row.type === "telegram" && !!split.secrets.bot_token && split.secrets.bot_token !== current.bot_token;
    secrets = { ...secrets, ...split.secrets };
  }

  const reconnect = tokenChanged || (row.type === "telegram" && input.status === "active" && row.status !== "active");
  // Before anything is written: a bot connected to another channel is refused and changes nothing.
  const me = reconnect ? await checkBot(env, secrets.bot_token!, row.id) : undefined;
  const paused = (input.status ?? (row.status === "inactive" ? "inactive" : undefined)) === "inactive";

  const patch: Partial<typeof channels.$inferInsert> = { updatedAt: nowIso(), configuration: plain };
  if (input.channel_name) patch.name = input.channel_name;
  if (newAddress) patch.externalAccountId = newAddress;
  if (input.configuration) {
    patch.secrets = row.type === "web" || row.type === "email" ? null : await sealSecrets(env, secrets);
    if (row.type === "whatsapp") {
      patch.externalAccountId = String(plain.phone_number_id);
      if (secrets.webhook_verify_token !== current.webhook_verify_token) {
        // A new verify token must be presented to Meta again.
        patch.webhookKeyHash = await webhookKeyHash(secrets.webhook_verify_token!);
        patch.status = "pending_verification";
      }
    }
  }
  if (input.status) patch.status = input.status === "inactive" ? "inactive" : row.status === "inactive" ? "active" : row.status;
  await t.db.update(channels).set(patch).where(t.where(channels, eq(channels.id, row.id))).run();
  forgetChannel(row.id);

  if (reconnect && me) {
    // A new bot (or a retry after an error): the old bot lets go, the new one gets our webhook.
    if (tokenChanged && current.bot_token) await telegram(env, current.bot_token).deleteWebhook();
    const webhookSecret = randomToken(32);
    secrets = { ...secrets, webhook_secret: webhookSecret };
    await t.db.update(channels).set({ secrets: await sealSecrets(env, secrets), webhookKeyHash: await webhookKeyHash(webhookSecret) }).where(t.where(channels, eq(channels.id, row.id))).run();
    const conn = await connectTelegram(env, row.id, secrets.bot_token!, webhookSecret, me);
    // A paused channel stays paused with its new bot.
    await applyConnection(env, creatorId, row.id, plain, paused && conn.status === "active" ? { ...conn, status: "inactive" } : conn);
    forgetChannel(row.id);
  }
  return readChannel(env, creatorId, row.id);
}

export async function deleteChannel(env: Env, creatorId: string, channelId: string) {
  const t = tenant(env.DB, creatorId);
  const row = await getChannel(env, creatorId, channelId);
  if (row.type === "telegram") {
    const secrets = await openSecrets(env, row.secrets);
    if (secrets.bot_token) {
      // Best effort: a revoked token can't delete its webhook, and must not block the disconnect.
      const res = await telegram(env, secrets.bot_token).deleteWebhook();
      if (!res.answer.ok) log("warn", "telegram deleteWebhook failed", { channelId, detail: res.answer.description });
    }
  }
  await t.db.batch([
    t.db.delete(channelEvents).where(t.where(channelEvents, eq(channelEvents.channelId, row.id))),
    t.db.delete(channelMessageRefs).where(t.where(channelMessageRefs, eq(channelMessageRefs.channelId, row.id))),
    t.db.delete(channels).where(t.where(channels, eq(channels.id, row.id))),
  ]);
  forgetChannel(row.id);
}

/** Meta's verification handshake succeeded for this channel. */
export async function markVerified(env: Env, row: ChannelRow) {
  if (row.status !== "pending_verification") return;
  const t = tenant(env.DB, row.creatorId);
  await t.db.update(channels).set({ status: "active", statusDetail: null, updatedAt: nowIso() }).where(t.where(channels, eq(channels.id, row.id))).run();
  forgetChannel(row.id);
}
