// Renders series as the Prometheus text exposition format (version 0.0.4): HELP and TYPE once per
// family, histogram buckets in increasing `le` order.

const HELP: Record<string, string> = {
  edgecoach_http_requests_total: "HTTP requests by method, route template and status",
  edgecoach_http_request_duration_seconds: "HTTP request latency by method and route template",
  edgecoach_ai_calls_total: "Calls to the AI provider by provider, operation and result",
  edgecoach_ai_call_duration_seconds: "AI provider call latency by provider and operation",
  edgecoach_queue_messages_total: "JOBS queue messages settled by type and result",
  edgecoach_queue_redeliveries_total: "JOBS queue messages delivered again after a failure (retries)",
  edgecoach_queue_message_age_seconds: "Age of JOBS queue messages when delivered (backlog)",
  edgecoach_webhook_deliveries_total: "Outgoing webhook deliveries by result",
  edgecoach_websocket_connections: "Live WebSocket connections by role",
  edgecoach_metrics_store_series: "Series held by the metrics store",
};

const SUFFIXES = ["_bucket", "_sum", "_count"];

function split(key: string): { name: string; labels: string } {
  const i = key.indexOf("{");
  return i < 0 ? { name: key, labels: "" } : { name: key.slice(0, i), labels: key.slice(i) };
}

function familyOf(name: string, histograms: Set<string>): string {
  for (const s of SUFFIXES) if (name.endsWith(s) && histograms.has(name.slice(0, -s.length))) return name.slice(0, -s.length);
  return name;
}

function leOf(labels: string): number {
  const m = /le="([^"]+)"/.exec(labels);
  return !m ? -1 : m[1] === "+Inf" ? Infinity : Number(m[1]);
}

export function render(series: [string, number][], gauges: [string, number][]): string {
  const histograms = new Set(series.map(([k]) => split(k).name).filter((n) => n.endsWith("_bucket")).map((n) => n.slice(0, -7)));
  const families = new Map<string, [string, number][]>();
  for (const entry of [...series, ...gauges]) {
    const family = familyOf(split(entry[0]).name, histograms);
    if (!families.has(family)) families.set(family, []);
    families.get(family)!.push(entry);
  }
  const gaugeNames = new Set(gauges.map(([k]) => split(k).name));
  const lines: string[] = [];
  for (const family of [...families.keys()].sort()) {
    const type = histograms.has(family) ? "histogram" : gaugeNames.has(family) ? "gauge" : "counter";
    if (HELP[family]) lines.push(`# HELP ${family} ${HELP[family]}`);
    lines.push(`# TYPE ${family} ${type}`);
    const rows = families.get(family)!.sort(([a], [b]) => {
      const pa = split(a);
      const pb = split(b);
      const base = (s: { name: string; labels: string }) => `${s.labels.replace(/,?le="[^"]*"/, "")}|${s.name}`;
      return base(pa) < base(pb) ? -1 : base(pa) > base(pb) ? 1 : leOf(pa.labels) - leOf(pb.labels);
    });
    for (const [key, value] of rows) lines.push(`${key} ${Number.isInteger(value) ? value : value.toFixed(6)}`);
  }
  return `${lines.join("\n")}\n`;
}
