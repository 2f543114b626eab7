// Credential-stuffing defences that follow the account, not the address: a failure counter with a
// short growing lock, and a cap on reset mails per email. Counted in the RateLimiter object.
import type { Env } from "../../env";
import { config } from "../../config";
import { AppError } from "../../lib/errors";

function accountObject(env: Env, email: string) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`account:${email.trim().toLowerCase()}`));
}

function locked(seconds: number): AppError {
  return new AppError("RATE_LIMIT_EXCEEDED", "Too many failed sign-ins for this account, retry later", [], {
    "Retry-After": String(Math.max(1, seconds)),
  });
}

/** Throws 429 while the account is locked (before the password is even checked). */
export async function assertNotLocked(env: Env, email: string): Promise<void> {
  if (!config(env).rateLimits.enabled) return;
  const state = await accountObject(env, email).lockState();
  if (state.lockedUntil) throw locked(state.lockSeconds);
}

export async function recordLoginFailure(env: Env, email: string): Promise<void> {
  if (!config(env).rateLimits.enabled) return;
  await accountObject(env, email).recordFailure(config(env).login.lock);
}

export async function clearLoginFailures(env: Env, email: string): Promise<void> {
  if (!config(env).rateLimits.enabled) return;
  await accountObject(env, email).clearLock();
}

/** True when another reset mail may go to this email now (the answer to the asker is the same either way). */
export async function mayMailReset(env: Env, email: string): Promise<boolean> {
  const cfg = config(env);
  if (!cfg.rateLimits.enabled) return true;
  const [result] = await accountObject(env, email).hit([{ key: "reset-mails", ...cfg.login.resetMails }]);
  return result?.allowed ?? true;
}
