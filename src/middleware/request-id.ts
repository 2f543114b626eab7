// X-Request-ID on every response: the client's own when it is a sane token, else a new UUID.
import { createMiddleware } from "hono/factory";
import type { AppBindings } from "../env";

const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

export const requestId = () =>
  createMiddleware<AppBindings>(async (c, next) => {
    const given = c.req.header("X-Request-ID");
    const id = given && VALID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", id);
    await next();
    c.res.headers.set("X-Request-ID", id);
  });
