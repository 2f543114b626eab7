// The OpenID provider (Google): discovery, the authorization URL with state, nonce and PKCE, the code
// exchange (arctic), and the ID token's verification against the provider's JWKS (jose).
import { CodeChallengeMethod, OAuth2Client, generateCodeVerifier, generateState } from "arctic";
import { createRemoteJWKSet, jwtVerify, errors as joseErrors } from "jose";
import type { Env } from "../../env";
import { config } from "../../config";
import { AppError, notFound, unauthenticated } from "../../lib/errors";

export const PROVIDERS = ["google"] as const;
export type Provider = (typeof PROVIDERS)[number];

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

/** Discovery documents and key sets per isolate: an hour, then fetched again (keys rotate). */
const discoveries = new Map<string, { doc: Discovery; at: number }>();
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
const DISCOVERY_TTL_MS = 3600_000;

export function providerSettings(env: Env, provider: string) {
  if (!(PROVIDERS as readonly string[]).includes(provider)) throw notFound("Sign-in provider");
  const google = config(env).oauth.google;
  if (!google.clientId || !google.clientSecret) {
    throw new AppError("SERVICE_UNAVAILABLE", "Google sign-in is not configured on this platform");
  }
  return { clientId: google.clientId, clientSecret: google.clientSecret, discoveryUrl: google.discoveryUrl };
}

async function discover(url: string): Promise<Discovery> {
  const hit = discoveries.get(url);
  if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.doc;
  const res = await fetch(url, { headers: { Accept: "application/json" } }).catch(() => null);
  const doc = res?.ok ? ((await res.json()) as Partial<Discovery>) : null;
  if (!doc?.issuer || !doc.authorization_endpoint || !doc.token_endpoint || !doc.jwks_uri) {
    throw new AppError("SERVICE_UNAVAILABLE", "The sign-in provider is not reachable right now");
  }
  discoveries.set(url, { doc: doc as Discovery, at: Date.now() });
  return doc as Discovery;
}

function client(env: Env, provider: Provider) {
  const s = providerSettings(env, provider);
  return { s, oauth: new OAuth2Client(s.clientId, s.clientSecret, callbackUrl(env, provider)) };
}

export function callbackUrl(env: Env, provider: string): string {
  return `${config(env).publicBaseUrl.replace(/\/+$/, "")}/api/v1/auth/${provider}/callback`;
}

export interface AuthorizationStart {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export async function startAuthorization(env: Env, provider: Provider, loginHint?: string): Promise<AuthorizationStart> {
  const { s, oauth } = client(env, provider);
  const doc = await discover(s.discoveryUrl);
  const state = generateState();
  const nonce = generateState();
  const codeVerifier = generateCodeVerifier();
  const url = oauth.createAuthorizationURLWithPKCE(doc.authorization_endpoint, state, CodeChallengeMethod.S256, codeVerifier, ["openid", "email", "profile"]);
  url.searchParams.set("nonce", nonce);
  if (loginHint) url.searchParams.set("login_hint", loginHint);
  // Otherwise show Google's account chooser: a shared computer shouldn't sign in whoever was last there.
  else url.searchParams.set("prompt", "select_account");
  return { url: url.toString(), state, nonce, codeVerifier };
}

export interface VerifiedIdentity {
  subject: string;
  email: string;
  emailVerified: boolean;
  name: string;
}

/** Exchanges the code (PKCE) and verifies the ID token: signature by the JWKS, iss, aud, exp, nonce. */
export async function finishAuthorization(env: Env, provider: Provider, code: string, codeVerifier: string, nonce: string): Promise<VerifiedIdentity> {
  const { s, oauth } = client(env, provider);
  const doc = await discover(s.discoveryUrl);
  let idToken: string;
  try {
    const tokens = await oauth.validateAuthorizationCode(doc.token_endpoint, code, codeVerifier);
    idToken = tokens.idToken();
  } catch {
    throw unauthenticated("The sign-in provider refused the authorization code");
  }
  let jwks = keySets.get(doc.jwks_uri);
  if (!jwks) keySets.set(doc.jwks_uri, (jwks = createRemoteJWKSet(new URL(doc.jwks_uri))));
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(idToken, jwks, { issuer: doc.issuer, audience: s.clientId, requiredClaims: ["sub", "exp", "iat"] }));
  } catch (err) {
    throw unauthenticated(err instanceof joseErrors.JWTExpired ? "The provider's ID token has expired" : "The provider's ID token is not valid");
  }
  if (payload.nonce !== nonce) throw unauthenticated("The provider's ID token does not belong to this sign-in");
  if (typeof payload.email !== "string" || !payload.email.includes("@")) throw unauthenticated("The provider did not share an email address");
  return {
    subject: String(payload.sub),
    email: payload.email.trim().toLowerCase(),
    // Google sends a boolean; some providers send "true".
    emailVerified: payload.email_verified === true || payload.email_verified === "true",
    name: typeof payload.name === "string" && payload.name.trim() ? payload.name.trim().slice(0, 200) : payload.email.split("@")[0]!,
  };
}
