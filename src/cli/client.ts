// The CLI's HTTP client: the public API only, with the stored login (refreshed on 401) or an API key.
import { loadCredentials, saveCredentials, type Credentials } from "./credentials.ts";

export interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

// Plain fields, no parameter properties: Node runs this file by stripping types only.
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const DEFAULT_URL = "http://127.0.0.1:8787";

export class Client {
  readonly url: string;
  private creds: Credentials | null;
  private readonly apiKey?: string;

  constructor(opts: GlobalOptions) {
    this.creds = loadCredentials();
    this.url = (opts.url || process.env.EDGECOACH_URL || this.creds?.url || DEFAULT_URL).replace(/\/+$/, "");
    // An explicit key (flag or environment) wins over a stored login, so CI never depends on one.
    this.apiKey = opts.apiKey || process.env.EDGECOACH_API_KEY || (this.sameServer() ? this.creds?.api_key : undefined);
  }

  private sameServer(): boolean {
    return !!this.creds && this.creds.url.replace(/\/+$/, "") === this.url;
  }

  private authHeaders(): Record<string, string> {
    if (this.apiKey) return { "X-API-Key": this.apiKey };
    if (this.sameServer() && this.creds?.access_token) return { Authorization: `Bearer ${this.creds.access_token}` };
    return {};
  }

  async raw(path: string, init: RequestInit = {}, retried = false): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.authHeaders())) headers.set(k, v);
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, { ...init, headers });
    } catch (err) {
      throw new ApiError(0, "UNREACHABLE", `Cannot reach ${this.url}: ${(err as Error).message}`);
    }
    if (res.status === 401 && !retried && !this.apiKey && this.sameServer() && this.creds?.refresh_token) {
      if (await this.refresh()) return this.raw(path, init, true);
    }
    return res;
  }

  private async refresh(): Promise<boolean> {
    const res = await fetch(`${this.url}/api/v1/auth/refresh`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: this.creds!.refresh_token }),
    }).catch(() => null);
    if (!res?.ok) return false;
    const tokens = (await res.json()) as { access_token: string; refresh_token: string };
    this.creds = { ...this.creds!, access_token: tokens.access_token, refresh_token: tokens.refresh_token };
    saveCredentials(this.creds);
    return true;
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(path, {
      method,
      ...(body !== undefined && { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
    });
    return parse<T>(res);
  }
}

export async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  const data = text ? (JSON.parse(text) as unknown) : {};
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: { field: string; message: string }[] } }).error;
    const details = err?.details?.length ? ` (${err.details.map((d) => `${d.field}: ${d.message}`).join("; ")})` : "";
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, `${err?.message ?? res.statusText}${details}`);
  }
  return data as T;
}

/** Server-sent events of a fetch response, as {event, data} pairs. */
export async function* sseEvents(res: Response): AsyncGenerator<{ event: string; data: string }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) yield { event, data: data.join("\n") };
    }
  }
}
