// The console's one door to the API: the access token lives only in this module's memory, the
// refresh token in the HttpOnly cookie (X-Session: cookie), and a 401 refreshes once and retries.

export interface ApiErrorBody {
  code: string;
  message: string;
  details: { field: string; message: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
  }
}

let accessToken: string | null = null;
let expiresAt = 0;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<(signedIn: boolean) => void>();

export function onSessionChange(fn: (signedIn: boolean) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function setSession(token: string | null, expiresIn = 0): void {
  accessToken = token;
  expiresAt = token ? Date.now() + expiresIn * 1000 : 0;
  for (const fn of listeners) fn(token !== null);
}

async function doRefresh(): Promise<boolean> {
  const res = await fetch("/api/v1/auth/refresh", { method: "POST", headers: { "X-Session": "cookie" }, credentials: "same-origin" });
  if (!res.ok) {
    setSession(null);
    return false;
  }
  const pair = (await res.json()) as { access_token: string; expires_in: number };
  setSession(pair.access_token, pair.expires_in);
  return true;
}

/**
 * One refresh at a time, across tabs too (Web Locks): refresh tokens are single use, and two tabs
 * presenting the same cookie at once would look like a stolen token and end the session.
 */
export function refreshSession(): Promise<boolean> {
  if (!refreshing) {
    const run = (): Promise<boolean> => doRefresh().catch(() => false);
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    const locked: Promise<boolean> = locks ? (locks.request("edgecoach-refresh", run) as unknown as Promise<boolean>) : run();
    refreshing = locked.finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** A token good for at least another 30 s (the WebSocket URL needs one up front). */
export async function freshToken(): Promise<string | null> {
  if (!accessToken || Date.now() > expiresAt - 30_000) await refreshSession();
  return accessToken;
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** The request with the bearer; a 401 refreshes the session once and sends it again. */
async function authorized(path: string, opts: RequestOptions): Promise<Response> {
  const send = async () => {
    const headers: Record<string, string> = { ...opts.headers };
    const token = await freshToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    let body = opts.body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    }
    return fetch(path, { method: opts.method ?? (body ? "POST" : "GET"), headers, body, signal: opts.signal, credentials: "same-origin" });
  };
  const res = await send();
  return res.status === 401 && accessToken && (await refreshSession()) ? send() : res;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  return parse<T>(await authorized(path, opts));
}

/** A file the API serves to a bearer (conversation files), as a Blob; errors as `api` throws them. */
export async function apiBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  const res = await authorized(path, { signal });
  if (!res.ok) await parse(res);
  return res.blob();
}

export async function parse<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const body = (data?.error as ApiErrorBody | undefined) ?? { code: "HTTP_" + res.status, message: res.statusText || "Request failed", details: [] };
    throw new ApiError(res.status, body);
  }
  return data as T;
}

/** Sign-in style calls (login, register, accept invitation): the cookie comes back, the token stays here. */
export async function startSession<T extends { access_token: string; expires_in: number }>(path: string, json: unknown): Promise<T> {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Session": "cookie" },
    body: JSON.stringify(json),
    credentials: "same-origin",
  });
  const session = await parse<T>(res);
  setSession(session.access_token, session.expires_in);
  return session;
}

export async function endSession(): Promise<void> {
  try {
    await api("/api/v1/auth/logout", { method: "POST", headers: { "X-Session": "cookie" } });
  } finally {
    setSession(null);
  }
}

/** A readable sentence for an error, with the fields the API named. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const details = err.body.details.map((d) => `${d.field}: ${d.message}`).join("; ");
    return details ? `${err.body.message} (${details})` : err.body.message;
  }
  return err instanceof Error ? err.message : String(err);
}
