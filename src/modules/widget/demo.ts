// GET /demo (development only): a page that embeds the widget for the demo creator seeded by the dev
// script (demo@edgecoach.local), or for ?creator_id=…, so `npm run dev` shows the widget working.
import { eq } from "drizzle-orm";
import { html, raw } from "hono/html";
import { config } from "../../config";
import { getDb } from "../../db/client";
import { creators } from "../../db/schema";
import type { Env } from "../../env";
import { notFound } from "../../lib/errors";
import { createRouter } from "../../lib/router";
import { widgetScriptPath } from "./script";
import { embedSnippet, getOrCreateConfig } from "./service";

export const DEMO_EMAIL = "demo@edgecoach.local";

/** A platform-level lookup (no tenant yet): the demo page picks which creator to show. */
async function demoCreator(env: Env, creatorId: string | undefined) {
  const db = getDb(env.DB);
  const row = creatorId && /^[0-9a-f-]{36}$/i.test(creatorId)
    ? await db.select().from(creators).where(eq(creators.id, creatorId)).get()
    : await db.select().from(creators).where(eq(creators.email, DEMO_EMAIL)).get();
  return row && row.status === "active" ? row : null;
}

export const demoRouter = createRouter({ rateLimit: "none", meter: "none" }).get("/demo", async (c) => {
  if (config(c.env).environment === "production") throw notFound("Page");
  const creator = await demoCreator(c.env, c.req.query("creator_id"));
  if (!creator) {
    return c.html(
      html`<!doctype html><meta charset="utf-8"><title>EdgeCoach demo</title>
        <p>No demo creator yet. Run <code>npm run dev</code> (it seeds ${DEMO_EMAIL}) or open <code>/demo?creator_id=…</code>.</p>`,
      404,
    );
  }
  const widget = await getOrCreateConfig(c.env, creator.id);
  const snippet = embedSnippet(new URL(c.req.url).origin, widget.widgetKey, await widgetScriptPath(c.env));
  return c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${creator.companyName ?? creator.fullName} — EdgeCoach demo</title>
    <style>
      /* Deliberately hostile host styles: the widget lives in a shadow root and must not care. */
      body { font: 16px/1.5 Georgia, serif; margin: 0; padding: 2rem; color: #222; background: #faf7f0; }
      button { all: unset; } div { box-sizing: content-box; } * { letter-spacing: 0.02em; }
      main { max-width: 40rem; }
      pre { white-space: pre-wrap; overflow-wrap: anywhere; }
    </style>
  </head>
  <body>
    <main>
      <h1>${creator.companyName ?? creator.fullName}</h1>
      <p>This page embeds the EdgeCoach web widget with the snippet below. Open the chat in the corner,
        ask a question and watch the answer stream in; ask to "talk to a human" to hand over to an agent.</p>
      <pre><code>${snippet}</code></pre>
    </main>
    ${raw(snippet)}
  </body>
</html>`);
});
