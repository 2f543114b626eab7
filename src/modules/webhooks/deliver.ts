// Sends one webhook delivery (a JOBS message): signed per Standard Webhooks 1.0 with the
// `standardwebhooks` library, bounded by a timeout and a per-endpoint concurrency cap, retried with
// exponential backoff over about a day, the endpoint disabled once it has failed for a day.
import { Webhook } from "standardwebhooks";
import type { Env } from "../../env";
import { config } from "../../config";
import { clock } from "../../lib/clock";
import { decryptText } from "../../lib/crypto";
import { log } from "../../lib/logging";
import { notify } from "../notifications";
import { enqueueDelivery } from "./fanout";
import { checkWebhookUrl, resolveWithDoh } from "./url-guard";

/** Delay after each failed attempt (Standard Webhooks' suggested schedule): ~27 h from the first try. */
export const RETRY_SCHEDULE_SECONDS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
/** A busy endpoint: try the slot again after this long (a new message, so the queue's retries aren't spent). */
const BUSY_DELAY_SECONDS = 2;
const ERROR_LIMIT = 500;


interface Claimed {
  attempts: number;
  payload: string;
  event_id: string;
  endpoint_id: string;
  url: string;
  secret: string;
  failing_since: string | null;
}

export async function deliverWebhook(env: Env, job: { creatorId: string; deliveryId: string }): Promise<void> {
  const cfg = config(env).webhooks;
  const now = clock.now();
  const nowIso = new Date(now).toISOString();
  const endpoint = await env.DB.prepare(
    `SELECT e.enabled, d.status FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.creator_id = d.creator_id
     WHERE d.id = ? AND d.creator_id = ?`,
  )
    .bind(job.deliveryId, job.creatorId)
    .first<{ enabled: number; status: string }>();
  if (!endpoint) return; // endpoint deleted
  if (!["pending", "retrying", "delivering"].includes(endpoint.status)) return; // done (or replayed and done)
  if (!endpoint.enabled) {
    await env.DB.prepare("UPDATE webhook_deliveries SET status = 'skipped', error = 'endpoint disabled', updated_at = ? WHERE id = ? AND creator_id = ?")
      .bind(nowIso, job.deliveryId, job.creatorId)
      .run();
    return;
  }
  // Claim a slot: at most N deliveries of one endpoint in flight (a crashed attempt's lease runs out).
  const lease = new Date(now + cfg.timeoutMs + 30_000).toISOString();
  const claimed = await env.DB.prepare(
    `UPDATE webhook_deliveries SET status = 'delivering', attempts = attempts + 1, lease_until = ?1, updated_at = ?2
     WHERE id = ?3 AND creator_id = ?4
       AND (status IN ('pending', 'retrying') OR (status = 'delivering' AND lease_until < ?2))
       AND (SELECT count(*) FROM webhook_deliveries o WHERE o.endpoint_id = webhook_deliveries.endpoint_id
              AND o.status = 'delivering' AND o.lease_until >= ?2 AND o.id <> ?3) < ?5
     RETURNING attempts, payload, event_id, endpoint_id,
       (SELECT url FROM webhook_endpoints WHERE id = endpoint_id) AS url,
       (SELECT secret FROM webhook_endpoints WHERE id = endpoint_id) AS secret,
       (SELECT failing_since FROM webhook_endpoints WHERE id = endpoint_id) AS failing_since`,
  )
    .bind(lease, nowIso, job.deliveryId, job.creatorId, cfg.maxConcurrencyPerEndpoint)
    .first<Claimed>();
  if (!claimed) {
    const again = await env.DB.prepare("SELECT status, lease_until FROM webhook_deliveries WHERE id = ?").bind(job.deliveryId).first<{ status: string; lease_until: string | null }>();
    // Another attempt holds it: that one finishes the job. Otherwise the endpoint's slots are full.
    if (again && (again.status === "pending" || again.status === "retrying")) await enqueueDelivery(env, job.creatorId, job.deliveryId, BUSY_DELAY_SECONDS);
    return;
  }

  const started = Date.now();
  let code: number | null = null;
  let error: string | null = null;
  try {
    // Checked again at send time: a public name may have been re-pointed at a private address.
    const url = await checkWebhookUrl(claimed.url, { allowPrivate: cfg.allowPrivateUrls, resolve: resolveWithDoh });
    const secret = await decryptText(env.ENCRYPTION_KEY, claimed.secret);
    // The signature's timestamp is real time (receivers check it against their clock), not the test clock.
    const sentAt = new Date();
    const signature = new Webhook(secret).sign(claimed.event_id, sentAt, claimed.payload);
    const res = await fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(cfg.timeoutMs),
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "EdgeCoach-Webhooks/1.0",
        "webhook-id": claimed.event_id,
        "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body: claimed.payload,
    });
    code = res.status;
    await res.body?.cancel();
    if (code < 200 || code >= 300) error = `HTTP ${code}`;
  } catch (err) {
    error = String((err as Error)?.message ?? err).slice(0, ERROR_LIMIT);
  }
  const latency = Date.now() - started;
  const ok = error === null;
  const attempt = claimed.attempts;
  const statements: D1PreparedStatement[] = [
    env.DB.prepare(
      "INSERT INTO webhook_attempts (creator_id, delivery_id, attempt, status, response_code, latency_ms, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).bind(job.creatorId, job.deliveryId, attempt, ok ? "succeeded" : "failed", code, latency, error, nowIso),
  ];
  let disable = false;
  let retryIn: number | null = null;
  if (ok) {
    statements.push(
      env.DB.prepare(
        "UPDATE webhook_deliveries SET status = 'succeeded', response_code = ?, latency_ms = ?, error = NULL, lease_until = NULL, next_attempt_at = NULL, updated_at = ? WHERE id = ?",
      ).bind(code, latency, nowIso, job.deliveryId),
      env.DB.prepare("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL").bind(claimed.endpoint_id),
    );
  } else {
    const failingSince = claimed.failing_since ?? nowIso;
    disable = now - Date.parse(failingSince) >= cfg.disableAfterHours * 3600_000;
    retryIn = !disable && attempt <= RETRY_SCHEDULE_SECONDS.length ? RETRY_SCHEDULE_SECONDS[attempt - 1]! : null;
    statements.push(
      env.DB.prepare(
        "UPDATE webhook_deliveries SET status = ?, response_code = ?, latency_ms = ?, error = ?, lease_until = NULL, next_attempt_at = ?, updated_at = ? WHERE id = ?",
      ).bind(retryIn === null ? "failed" : "retrying", code, latency, error, retryIn === null ? null : new Date(now + retryIn * 1000).toISOString(), nowIso, job.deliveryId),
      env.DB.prepare("UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, ?) WHERE id = ?").bind(nowIso, claimed.endpoint_id),
    );
    if (disable) {
      statements.push(
        env.DB.prepare(
          "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ? AND enabled = 1",
        ).bind(`Failing for more than ${cfg.disableAfterHours} hours (last error: ${error})`, nowIso, claimed.endpoint_id),
      );
    }
  }
  const results = await env.DB.batch(statements);
  if (retryIn !== null) await enqueueDelivery(env, job.creatorId, job.deliveryId, retryIn);
  if (disable && (results.at(-1)?.meta.changes ?? 0) > 0) {
    log("warn", "webhook endpoint disabled", { creator_id: job.creatorId, endpoint_id: claimed.endpoint_id });
    await notify(env, job.creatorId, {
      kind: "webhook_disabled",
      title: "A webhook endpoint was disabled",
      body: `${claimed.url} has failed for more than ${cfg.disableAfterHours} hours; deliveries to it are paused until you enable it again.`,
      data: { webhook_id: claimed.endpoint_id, url: claimed.url },
    });
  }
}
