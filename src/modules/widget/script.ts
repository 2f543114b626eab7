// Where the widget script lives: its versioned copy (/widget.<content hash>.js, written by
// scripts/prepare-assets.mjs and served with immutable caching), so the embed code can point at a
// URL that browsers and Cloudflare's cache keep for a year, and a new build is a new URL.
import type { Env } from "../../env";

/** The unversioned script: old embeds keep working, and it is the fallback before assets are built. */
export const UNVERSIONED_SCRIPT = "/widget.js";
/** The versioned script's name; anything else under /widget.*.js is not ours to cache forever. */
export const VERSIONED_SCRIPT = /^\/widget\.[0-9a-f]{16}\.js$/;

// One read per isolate: a deploy (new assets) starts new isolates.
let known: string | undefined;

export async function widgetScriptPath(env: Env): Promise<string> {
  if (known) return known;
  if (!env.ASSETS) return UNVERSIONED_SCRIPT;
  const res = await env.ASSETS.fetch(new Request("https://assets.invalid/widget-version.json"));
  if (!res.ok) return UNVERSIONED_SCRIPT;
  const body = (await res.json().catch(() => null)) as { path?: unknown } | null;
  if (typeof body?.path !== "string" || !VERSIONED_SCRIPT.test(body.path)) return UNVERSIONED_SCRIPT;
  return (known = body.path);
}

/** Cache-Control for a static file of public/: the versioned widget forever, the rest as the asset server says. */
export function widgetCacheControl(path: string): string | null {
  return VERSIONED_SCRIPT.test(path) ? "public, max-age=31536000, immutable" : null;
}
