// Where the CLI keeps its login: `<config dir>/edgecoach/credentials.json`, readable by the user only (0600).
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export interface Credentials {
  url: string;
  access_token?: string;
  refresh_token?: string;
  api_key?: string;
  email?: string;
}

/** EDGECOACH_CONFIG_DIR, else XDG_CONFIG_HOME, else %APPDATA% on Windows, else ~/.config. */
export function credentialsPath(): string {
  const base =
    process.env.EDGECOACH_CONFIG_DIR ||
    join(process.env.XDG_CONFIG_HOME || (process.platform === "win32" ? process.env.APPDATA || join(homedir(), "AppData", "Roaming") : join(homedir(), ".config")), "edgecoach");
  return join(base, "credentials.json");
}

export function loadCredentials(): Credentials | null {
  const path = credentialsPath();
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Credentials;
  } catch {
    return null;
  }
}

export function saveCredentials(creds: Credentials): string {
  const path = credentialsPath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // mode applies on creation only; chmod makes an older file private too.
  writeFileSync(path, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

export function clearCredentials(): void {
  rmSync(credentialsPath(), { force: true });
}
