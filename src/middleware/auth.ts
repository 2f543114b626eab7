// Bearer authentication. `authenticate` runs on every request (a bad token is remembered, not thrown,
// so public routes keep working); `requireAuth` guards a route and names the permission it needs.
// `X-API-Key` (server-to-server) is the other credential: it acts as its creating member, with its scopes.
import { createMiddleware } from "hono/factory";
import type { AppBindings } from "../env";
import { AppError, forbidden, unauthenticated } from "../lib/errors";
import { authenticateAccount } from "../modules/auth/login-sessions";
import { authenticateApiKey, recordApiKeyUse } from "../modules/api-keys/service";
import type { Permission, Role } from "../modules/auth/tokens";

const authErrors = new WeakMap<Request, AppError>();

export const authenticate = () =>
  createMiddleware<AppBindings>(async (c, next) => {
    const header = c.req.header("Authorization");
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      try {
        if (!match) throw unauthenticated("Authorization header must be 'Bearer <token>'");
        const account = await authenticateAccount(c.env, match[1]!);
        c.set("auth", account.claims);
        c.set("account", account);
        c.set("creatorId", account.claims.creator_id);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        authErrors.set(c.req.raw, err);
      }
    } else if (c.req.header("X-API-Key") !== undefined) {
      try {
        const account = await authenticateApiKey(c.env, c.req.header("X-API-Key")!.trim(), c.req.path);
        c.set("auth", account.claims);
        c.set("account", account);
        c.set("creatorId", account.claims.creator_id);
        // "Last used" at minute resolution, written after the response: no D1 write on the request path.
        if (account.touch) c.executionCtx.waitUntil(recordApiKeyUse(c.env, account.apiKeyId).catch(() => {}));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        authErrors.set(c.req.raw, err);
      }
    }
    await next();
  });

export interface RequireAuthOptions {
  permission?: Permission;
  roles?: Role[];
}

export const requireAuth = (opts: RequireAuthOptions = {}) =>
  createMiddleware<AppBindings>(async (c, next) => {
    const claims = c.get("auth");
    if (!claims) throw authErrors.get(c.req.raw) ?? unauthenticated();
    if (opts.permission && !claims.permissions.includes(opts.permission)) {
      throw forbidden(`This action needs the '${opts.permission}' permission`);
    }
    if (opts.roles && !opts.roles.includes(claims.role)) {
      throw forbidden(`This action is reserved to: ${opts.roles.join(", ")}`);
    }
    await next();
  });
