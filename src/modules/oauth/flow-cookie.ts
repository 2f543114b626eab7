// The sign-in's state, nonce and PKCE verifier ride in an encrypted, HttpOnly cookie bound to the
// browser that started the flow (no server-side row for abandoned sign-ins). SameSite=Lax: the
// provider's redirect back is a cross-site top-level navigation, which Strict would not send it on.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppBindings } from "../../env";
import { decryptText, encryptText } from "../../lib/crypto";
import { unauthenticated } from "../../lib/errors";

const COOKIE = "ec_oauth";
const PATH = "/api/v1/auth";
const TTL_SECONDS = 600;

export interface FlowState {
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectTo: string;
  exp: number;
}

const secure = (c: Context) => {
  const url = new URL(c.req.url);
  return !(url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname));
};

export async function setFlowCookie(c: Context<AppBindings>, flow: Omit<FlowState, "exp">): Promise<void> {
  const sealed = await encryptText(c.env.ENCRYPTION_KEY, JSON.stringify({ ...flow, exp: Date.now() + TTL_SECONDS * 1000 }));
  setCookie(c, COOKIE, sealed, { httpOnly: true, secure: secure(c), sameSite: "Lax", path: PATH, maxAge: TTL_SECONDS });
}

export async function takeFlowCookie(c: Context<AppBindings>): Promise<FlowState> {
  const sealed = getCookie(c, COOKIE);
  deleteCookie(c, COOKIE, { path: PATH, secure: secure(c), httpOnly: true, sameSite: "Lax" });
  if (!sealed) throw unauthenticated("The sign-in was not started in this browser (or took too long)");
  let flow: FlowState;
  try {
    flow = JSON.parse(await decryptText(c.env.ENCRYPTION_KEY, sealed)) as FlowState;
  } catch {
    throw unauthenticated("The sign-in was not started in this browser (or took too long)");
  }
  if (flow.exp < Date.now()) throw unauthenticated("The sign-in took too long, please start again");
  return flow;
}
