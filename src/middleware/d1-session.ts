// D1 read replication (the Sessions API): the reads of routes declared `reads: "replica"` go through
// one D1 session, so with read replication on they may be served by a replica near the Worker, and
// the client carries the session's bookmark from response to request, so a dashboard that just
// wrote something still reads it (sequential consistency within its own chain of requests).
import type { MiddlewareHandler } from "hono";
import type { AppBindings } from "../env";
import { AppError } from "../lib/errors";
import { policyOf } from "../lib/router";

/** Request: the bookmark of the client's last response (optional). Response: the session's latest bookmark. */
export const BOOKMARK_HEADER = "X-D1-Bookmark";
// D1 bookmarks are opaque, short and printable; anything else is refused before it reaches D1.
const BOOKMARK = /^[A-Za-z0-9._:-]{1,256}$/;

export function d1Session(): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    const method = c.req.method;
    if ((method !== "GET" && method !== "HEAD") || policyOf(method, c.req.path)?.reads !== "replica") return next();
    const given = c.req.header(BOOKMARK_HEADER);
    if (given !== undefined && !BOOKMARK.test(given)) {
      throw new AppError("MALFORMED_REQUEST", `${BOOKMARK_HEADER} must be a bookmark from an earlier response`);
    }
    // No bookmark: any replica will do (the first read's freshness); with one: at least as fresh as it.
    const session = c.env.DB.withSession(given ?? "first-unconstrained");
    c.env = { ...c.env, DB: sessionAsDatabase(c.env.DB, session) };
    await next();
    const latest = session.getBookmark();
    if (latest) c.res.headers.set(BOOKMARK_HEADER, latest);
  };
}

/**
 * The services take a D1Database (drizzle and the tenant helper call prepare/batch only); a session
 * has exactly those, so reads go through it unchanged. exec/dump stay on the database itself.
 */
function sessionAsDatabase(db: D1Database, session: D1DatabaseSession): D1Database {
  return {
    prepare: (query: string) => session.prepare(query),
    batch: <T = unknown>(statements: D1PreparedStatement[]) => session.batch<T>(statements),
    exec: (query: string) => db.exec(query),
    dump: () => db.dump(),
    withSession: (constraint?: string) => db.withSession(constraint),
  } as D1Database;
}
