// SSRF guard for webhook URLs: in production only https to hosts that resolve to public addresses.
// Checked when an endpoint is saved and again before every delivery (a name can be re-pointed).
import { invalid } from "../../lib/errors";

export interface UrlPolicy {
  /** WEBHOOKS_ALLOW_PRIVATE_URLS: development and tests deliver to 127.0.0.1 over http. */
  allowPrivate: boolean;
  /** Resolves a host name to its addresses (DNS over HTTPS in production). */
  resolve: (host: string) => Promise<string[]>;
}

function ipv4Private(ip: string): boolean {
  const p = ip.split(".").map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return true;
  const [a, b] = p as [number, number, number, number];
  return (
    a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) || a >= 224
  );
}

function ipv6Private(ip: string): boolean {
  const v = ip.toLowerCase().replace(/^\[|\]$/g, "");
  if (v === "::" || v === "::1") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v);
  if (mapped) return ipv4Private(mapped[1]!);
  // IPv4-mapped in hex, as URL parsing writes it (::ffff:7f00:1 = 127.0.0.1).
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return ipv4Private(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  // Unique local fc00::/7, link-local fe80::/10, multicast ff00::/8, site-local fec0::/10.
  return /^(f[cd]|fe[89ab]|fe[c-f]|ff)/.test(v) || v.startsWith("64:ff9b:") || v.startsWith("2001:db8:");
}

const isIpv4 = (h: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(h);
const isIpv6 = (h: string) => h.includes(":");

export function isPrivateAddress(ip: string): boolean {
  return isIpv4(ip) ? ipv4Private(ip) : isIpv6(ip) ? ipv6Private(ip) : true;
}

const refuse = (message: string) => invalid([{ field: "url", message }], "The webhook URL is not allowed");

/** Throws a 422 for a URL we must not call; returns the parsed URL otherwise. */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse("Must be an absolute URL");
  }
  if (url.username || url.password) throw refuse("Must not carry credentials");
  if (policy.allowPrivate) {
    if (url.protocol !== "https:" && url.protocol !== "http:") throw refuse("Must be http or https");
    return url;
  }
  if (url.protocol !== "https:") throw refuse("Must be https");
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (isIpv4(host) || isIpv6(host)) {
    if (isPrivateAddress(host)) throw refuse("Must not point to a private, loopback or link-local address");
    return url;
  }
  if (host === "localhost" || /\.(localhost|local|internal|lan|home|arpa)$/.test(host) || !host.includes(".")) {
    throw refuse("Must be a public host name");
  }
  let addresses: string[];
  try {
    addresses = await policy.resolve(host);
  } catch {
    throw refuse("The host name could not be resolved");
  }
  if (!addresses.length) throw refuse("The host name does not resolve");
  if (addresses.some(isPrivateAddress)) throw refuse("The host name resolves to a private, loopback or link-local address");
  return url;
}

/** DNS over HTTPS (Cloudflare's JSON API): Workers have no resolver of their own. */
export async function resolveWithDoh(host: string): Promise<string[]> {
  const lookups = await Promise.all(
    ["A", "AAAA"].map(async (type) => {
      const res = await fetch(`https://cloudflare-dns.com/dns-query?name=${encodeURIComponent(host)}&type=${type}`, {
        headers: { Accept: "application/dns-json" },
        signal: AbortSignal.timeout(3000),
      });
      if (!res.ok) throw new Error(`DoH ${res.status}`);
      const body = (await res.json()) as { Answer?: { type: number; data: string }[] };
      return (body.Answer ?? []).filter((a) => a.type === 1 || a.type === 28).map((a) => a.data);
    }),
  );
  return lookups.flat();
}
