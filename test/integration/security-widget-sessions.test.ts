// Denial of wallet through the widget: one address can open only so many visitor sessions an hour.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { createCreator } from "../helpers";
import { widgetKeyOf } from "../realtime";

async function openFrom(ip: string, widgetKey: string, vars: Record<string, string>) {
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request("http://localhost/api/v1/channels/sessions", {
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": ip },
      body: JSON.stringify({ widget_key: widgetKey }),
    }),
    { ...env, ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res.status;
}

describe("POST /api/v1/channels/sessions", () => {
  it("is capped per address (IPv6 by /64) across every widget key", async () => {
    const vars = { WIDGET_SESSIONS_PER_ADDRESS_PER_HOUR: "3" };
    const [a, b] = await Promise.all([createCreator(), createCreator()]);
    const [keyA, keyB] = await Promise.all([widgetKeyOf(a.access_token), widgetKeyOf(b.access_token)]);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await openFrom(`2001:db8:77:1::${i + 1}`, i % 2 ? keyA : keyB, vars));
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    // Another address still opens sessions.
    expect(await openFrom("198.51.100.77", keyA, vars)).toBe(201);
  });
});
