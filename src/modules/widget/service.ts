// Widget configuration (look, public key, allowed origins) and the embed snippet.
import { eq } from "drizzle-orm";
import { tenant, getDb } from "../../db/client";
import { widgetConfigs } from "../../db/schema";
import type { Env } from "../../env";
import { nowIso } from "../../lib/clock";
import { forbidden, invalid } from "../../lib/errors";
import { randomToken } from "../../lib/ids";
import type { UpdateWidgetConfigInput } from "./schemas";

export type WidgetConfigRow = typeof widgetConfigs.$inferSelect;

export async function getOrCreateConfig(env: Env, creatorId: string): Promise<WidgetConfigRow> {
  const t = tenant(env.DB, creatorId);
  const existing = await t.db.select().from(widgetConfigs).where(t.where(widgetConfigs)).get();
  if (existing) return existing;
  // Two first reads at once: the primary key makes the second insert a no-op, both read the winner.
  await t.db.insert(widgetConfigs).values({ creatorId, widgetKey: `wk_${randomToken(18)}` }).onConflictDoNothing();
  return (await t.db.select().from(widgetConfigs).where(t.where(widgetConfigs)).get())!;
}

/** Origins are compared exactly as browsers send them: scheme://host[:port], no path, no trailing slash. */
export function normalizeOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) return null;
    return url.origin;
  } catch {
    return null;
  }
}

export async function updateConfig(env: Env, creatorId: string, input: UpdateWidgetConfigInput): Promise<WidgetConfigRow> {
  const current = await getOrCreateConfig(env, creatorId);
  let allowedOrigins: string[] | undefined;
  if (input.allowed_origins) {
    const details = input.allowed_origins.flatMap((o, i) =>
      normalizeOrigin(o) ? [] : [{ field: `allowed_origins.${i}`, message: "Must be an origin like https://example.com (no path)" }],
    );
    if (details.length) throw invalid(details);
    allowedOrigins = [...new Set(input.allowed_origins.map((o) => normalizeOrigin(o)!))];
  }
  const t = tenant(env.DB, creatorId);
  const row = await t.db
    .update(widgetConfigs)
    .set({
      ...(input.title !== undefined && { title: input.title }),
      ...(input.color !== undefined && { color: input.color }),
      ...(input.position !== undefined && { position: input.position }),
      ...(input.welcome_message !== undefined && { welcomeMessage: input.welcome_message }),
      ...(input.launcher_text !== undefined && { launcherText: input.launcher_text }),
      ...(input.language !== undefined && { language: input.language }),
      ...(allowedOrigins !== undefined && { allowedOrigins }),
      updatedAt: nowIso(),
    })
    .where(t.where(widgetConfigs))
    .returning()
    .get();
  return row ?? current;
}

/** The web channel's `allowed_origins`: empty = any page; otherwise the page's Origin must be listed (none sent = refused). */
export function originAllowed(row: Pick<WidgetConfigRow, "allowedOrigins">, origin: string | null): boolean {
  return row.allowedOrigins.length === 0 || (origin !== null && row.allowedOrigins.includes(origin));
}

/** Refuses a page not in the creator's `allowed_origins` (widget sessions and widget sockets). */
export async function assertOriginAllowed(env: Env, creatorId: string, origin: string | null): Promise<void> {
  const t = tenant(env.DB, creatorId);
  const row = await t.db.select({ allowedOrigins: widgetConfigs.allowedOrigins }).from(widgetConfigs).where(t.where(widgetConfigs)).get();
  if (row && !originAllowed(row, origin)) throw forbidden("This website is not allowed to use the widget");
}

/** Public lookup by the key in the embed snippet (no tenant yet: this is how the tenant is found). */
export async function configByKey(env: Env, widgetKey: string): Promise<WidgetConfigRow | null> {
  return (await getDb(env.DB).select().from(widgetConfigs).where(eq(widgetConfigs.widgetKey, widgetKey)).get()) ?? null;
}

/**
 * `scriptPath`: the versioned widget script (script.ts), so an embed caches it for a year;
 * `integrity`: its Subresource Integrity hash (the same bytes as /widget.js), when the build wrote one.
 */
export function embedSnippet(baseUrl: string, widgetKey: string, scriptPath: string, integrity: string | null = null): string {
  const sri = integrity ? ` integrity="${integrity}" crossorigin="anonymous"` : "";
  return `<script src="${baseUrl.replace(/\/$/, "")}${scriptPath}" data-widget-key="${widgetKey}"${sri} async></script>`;
}

const integrityCache = new Map<string, Promise<string | null>>();

/**
 * The `sha384-…` of the script at `scriptPath` (default /widget.js): the digest of the exact bytes
 * the asset server serves under that URL, computed once per isolate (a deploy starts new isolates).
 * The versioned script never changes under its name, so its hash never goes stale; null without assets.
 */
export function widgetIntegrity(env: Env, scriptPath = "/widget.js"): Promise<string | null> {
  let hit = integrityCache.get(scriptPath);
  if (!hit) {
    hit = (async () => {
      const res = await env.ASSETS?.fetch(new Request(`https://assets.invalid${scriptPath}`));
      if (!res?.ok) return null;
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-384", await res.arrayBuffer()));
      return `sha384-${btoa(String.fromCharCode(...digest))}`;
    })().catch(() => null);
    integrityCache.set(scriptPath, hit);
    // A failed read (no assets yet) is tried again by the next request.
    void hit.then((v) => v === null && integrityCache.delete(scriptPath));
  }
  return hit;
}

/** What the widget itself needs to draw (never the allowed origins or timestamps); the persona's name and greeting when set. */
export function publicConfig(row: WidgetConfigRow, persona?: { name: string | null; greeting: string | null }) {
  return {
    ...(persona && { assistant_name: persona.name, greeting: persona.greeting }),
    title: row.title,
    color: row.color,
    position: row.position,
    welcome_message: row.welcomeMessage,
    launcher_text: row.launcherText,
    language: row.language,
  };
}

/** `integrity`: widgetIntegrity of `scriptPath`, so the snippet a creator copies from the config carries Subresource Integrity too. */
export function presentConfig(row: WidgetConfigRow, baseUrl: string, scriptPath: string, integrity: string | null = null) {
  return {
    widget_key: row.widgetKey,
    ...publicConfig(row),
    allowed_origins: row.allowedOrigins,
    embed_code: embedSnippet(baseUrl, row.widgetKey, scriptPath, integrity),
    updated_at: row.updatedAt,
  };
}
