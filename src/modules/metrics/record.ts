// What the platform counts: one small function per kind of event, callable from any module
// (requests, AI providers, the queue consumer, outgoing webhooks). Names follow Prometheus' conventions.
import { inc, observe } from "./registry";

export function recordRequest(method: string, route: string, status: number, seconds: number): void {
  inc("edgecoach_http_requests_total", { method, route, status });
  observe("edgecoach_http_request_duration_seconds", { method, route }, seconds);
}

export function recordAiCall(provider: string, operation: "embed" | "generate" | "transcribe" | "speak" | "chat", ok: boolean, seconds: number): void {
  inc("edgecoach_ai_calls_total", { provider, operation, result: ok ? "ok" : "error" });
  observe("edgecoach_ai_call_duration_seconds", { provider, operation }, seconds);
}

/** A queue message settled: acked, retried or given up; `attempts` > 1 counts as a retry delivery. */
export function recordJob(type: string, result: "ack" | "retry" | "gave_up", attempts: number, ageSeconds: number): void {
  inc("edgecoach_queue_messages_total", { type, result });
  if (attempts > 1) inc("edgecoach_queue_redeliveries_total", { type });
  // Age at delivery: Queues don't expose their depth to the Worker; a growing backlog shows here.
  observe("edgecoach_queue_message_age_seconds", { type }, ageSeconds);
}

/** For the webhooks module: one call per delivery attempt ("delivered", "failed", "retrying", "disabled" …). */
export function recordWebhookDelivery(result: string): void {
  inc("edgecoach_webhook_deliveries_total", { result });
}
