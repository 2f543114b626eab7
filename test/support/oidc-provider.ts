// A local OpenID provider standing in for Google (oauth2-mock-server on 127.0.0.1): real discovery,
// JWKS, authorization code + PKCE and signed ID tokens. Whose account signs in is chosen by the
// `login_hint` the test passes: the email; a local part starting with "unverified" gets
// email_verified=false; "wrongaud…", "expired…" and "badnonce…" get an ID token that must be refused.
// The subject is derived from the email, so the same person is the same `sub`.
import { OAuth2Server } from "oauth2-mock-server";

export interface OidcProvider {
  url: string;
  discoveryUrl: string;
  close(): Promise<void>;
}

export async function startOidcProvider(): Promise<OidcProvider> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate("RS256");
  const hints = new Map<string, string>();
  server.service.on("beforeAuthorizeRedirect", (redirect: { url: URL }, req: { url?: string }) => {
    const hint = new URL(req.url ?? "/", "http://x").searchParams.get("login_hint");
    const code = redirect.url.searchParams.get("code");
    if (hint && code) hints.set(code, hint);
  });
  server.service.on("beforeTokenSigning", (token: { payload: Record<string, unknown> }, req: { body?: Record<string, string> }) => {
    const email = hints.get(req.body?.code ?? "");
    if (!email) return;
    token.payload.sub = `google-${email}`;
    token.payload.email = email;
    token.payload.email_verified = !email.startsWith("unverified");
    token.payload.name = `Person ${email.split("@")[0]}`;
    if (email.startsWith("wrongaud")) token.payload.aud = "someone-elses-client";
    if (email.startsWith("expired")) token.payload.exp = Math.floor(Date.now() / 1000) - 3600;
    if (email.startsWith("badnonce")) token.payload.nonce = "replayed-nonce";
  });
  await server.start(0, "127.0.0.1");
  const url = server.issuer.url!;
  return { url, discoveryUrl: `${url}/.well-known/openid-configuration`, close: () => server.stop() };
}
