// Builds the Hono app: middleware in order, then one router per module, then 404/405 and errors.
import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { AppBindings } from "./env";
import { config } from "./config";
import { AppError } from "./lib/errors";
import { handleError } from "./lib/http-errors";
import { methodNotAllowed } from "./lib/method-not-allowed";
import { accessLog } from "./middleware/access-log";
import { authenticate } from "./middleware/auth";
import { jsonBody } from "./middleware/json-body";
import { rateLimit } from "./middleware/rate-limit";
import { requestId } from "./middleware/request-id";
import { productionGuards } from "./middleware/production";
import { authRouter } from "./modules/auth";
import { channelsRouter } from "./modules/channels";
import { creatorsRouter } from "./modules/creators";
import { gdprRouter } from "./modules/gdpr";
import { docsHandler, systemRouter } from "./modules/system";
import { teamRouter } from "./modules/team";
import { conversationsRouter } from "./modules/conversations";
import { d1Session } from "./middleware/d1-session";
import { demoRouter, widgetCacheControl, widgetRouter, widgetSessionsRouter } from "./modules/widget";
import { usersRouter } from "./modules/users";
import { programsRouter } from "./modules/programs";
import { proactiveRouter } from "./modules/proactive";
import { knowledgeRouter, legacyKnowledgeRouter } from "./modules/knowledge";
import { aiRouter, memoryRouter } from "./modules/ai";
import { aiSuiteRouter } from "./modules/aisuite";
import { apiKeysRouter } from "./modules/api-keys";
import { plansRouter } from "./modules/plans";
import { oauthRouter } from "./modules/oauth";
import { metricsRouter, requestMetrics } from "./modules/metrics";
import { tasksRouter } from "./modules/tasks";
import { planQuota } from "./middleware/plan-quota";
import { assistantRouter } from "./modules/assistant";
import { memoryStoreRouter } from "./modules/memory";
import { analyticsRouter } from "./modules/analytics";
import { webhooksRouter } from "./modules/webhooks";
import { notificationsRouter } from "./modules/notifications";
import { filesRouter } from "./modules/files";
import { chatRouter } from "./modules/chat";
import "./db/owned-tables";

export function buildApp() {
  const app = new OpenAPIHono<AppBindings>();

  app.use("*", requestId());
  app.use("*", requestMetrics());
  app.use("*", accessLog());
  app.use("*", productionGuards());
  app.use("*", secureHeaders({ crossOriginResourcePolicy: "cross-origin", crossOriginOpenerPolicy: false }));
  app.use("*", async (c, next) => {
    const origins = config(c.env).corsOrigins;
    return cors({
      origin: origins.includes("*") ? "*" : origins,
      allowHeaders: ["Authorization", "Content-Type", "X-Request-ID", "X-API-Key"],
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      exposeHeaders: ["X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"],
      maxAge: 600,
    })(c, next);
  });
  app.use("*", jsonBody({ maxBytes: (c) => config(c.env).maxJsonBodyBytes }));
  app.use("*", authenticate());
  app.use("*", rateLimit());
  app.use("*", planQuota());
  // After authentication (a token minted a moment ago must be found): only the route's own reads use the replica.
  app.use("*", d1Session());

  app.route("/", systemRouter);
  app.route("/", authRouter);
  app.route("/", creatorsRouter);
  app.route("/", assistantRouter);
  app.route("/", memoryStoreRouter);
  app.route("/", teamRouter);
  app.route("/", gdprRouter);
  app.route("/", widgetRouter);
  app.route("/", widgetSessionsRouter);
  app.route("/", conversationsRouter);
  app.route("/", demoRouter);
  app.route("/", channelsRouter);
  app.route("/", usersRouter);
  app.route("/", programsRouter);
  app.route("/", proactiveRouter);
  app.route("/", knowledgeRouter);
  app.route("/", legacyKnowledgeRouter);
  app.route("/", aiRouter);
  app.route("/", aiSuiteRouter);
  app.route("/", memoryRouter);
  // accounts (issue 15): API keys, plans and usage, Google sign-in, tasks, metrics
  app.route("/", apiKeysRouter);
  app.route("/", plansRouter);
  app.route("/", oauthRouter);
  app.route("/", metricsRouter);
  app.route("/", tasksRouter);
  app.route("/", analyticsRouter);
  app.route("/", webhooksRouter);
  app.route("/", notificationsRouter);
  app.route("/", filesRouter);
  app.route("/", chatRouter);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "EdgeCoach API",
      version: "1.0.0",
      description: "Creator accounts, knowledge, conversations, channels, programs and the proactive engine.",
    },
  });
  app.get("/docs", docsHandler);

  app.notFound(async (c) => {
    // Static files of public/ (the docs script, the widget) still pass through the middleware above.
    if ((c.req.method === "GET" || c.req.method === "HEAD") && c.env.ASSETS) {
      const asset = await c.env.ASSETS.fetch(c.req.raw);
      if (asset.status !== 404) {
        const res = new Response(asset.body, asset);
        // The versioned widget script never changes under its URL: cached for a year, everywhere.
        const cacheControl = widgetCacheControl(c.req.path);
        if (cacheControl) res.headers.set("Cache-Control", cacheControl);
        return res;
      }
      // The console is a single-page app: its deep links (/app/inbox/{id}) load its index.html.
      if (c.req.path === "/app" || c.req.path.startsWith("/app/")) return consoleIndex(c.env.ASSETS, c.req.raw);
      // The reset and invitation mails link to the site root: those pages live in the console.
      if (c.req.path === "/reset-password" || c.req.path === "/accept-invitation") {
        return c.redirect(`/app${c.req.path}${new URL(c.req.url).search}`, 302);
      }
    }
    const allowed = methodNotAllowed(app, c.req.method, c.req.path);
    if (allowed.length) {
      throw new AppError("METHOD_NOT_ALLOWED", `Method ${c.req.method} is not allowed here`, [], { Allow: allowed.join(", ") });
    }
    throw new AppError("RESOURCE_NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`);
  });
  app.onError(handleError);
  return app;
}

/** The console's index.html for any /app path: never cached, so a new build is picked up at once. */
async function consoleIndex(assets: Fetcher, req: Request): Promise<Response> {
  const index = await assets.fetch(new Request(new URL("/app/", req.url), { method: req.method }));
  if (index.status !== 200) throw new AppError("RESOURCE_NOT_FOUND", "The console is not built; run npm run assets");
  const res = new Response(index.body, index);
  res.headers.set("Cache-Control", "no-cache");
  return res;
}

export const app = buildApp();
