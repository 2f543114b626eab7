import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { api, createCreator, errorOf } from "../helpers";
import { connectTelegram, eventually, postTelegram, telegramUpdate } from "../channel-helpers";

vi.setConfig({ testTimeout: 30_000 });

const today = () => new Date().toISOString().slice(0, 10);

async function settled(channelId: string, expected: number) {
  const rows = await env.DB.prepare("SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.channel_id = ? AND m.sender != 'user'").bind(channelId).all<any>();
  return rows.results.length >= expected && rows.results.every((m) => m.delivery_status !== "queued") ? rows.results : undefined;
}

describe("GET /api/v1/channels/{channel_id}/analytics", () => {
  it("counts messages, users, new users, response time and engagement, with a daily breakdown", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    await postTelegram(telegramUpdate(1, {}, 1001), ch.secret);
    await postTelegram(telegramUpdate(2, {}, 1002), ch.secret);
    await eventually(() => settled(ch.id, 2), "two replies");
    await postTelegram(telegramUpdate(3, { text: "And one more question" }, 1001), ch.secret);
    await eventually(() => settled(ch.id, 3), "three replies");

    const res = await api(`/api/v1/channels/${ch.id}/analytics?start_date=${today()}&end_date=${today()}`, { token: s.access_token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      channel_id: ch.id,
      date_range: { start_date: today(), end_date: today() },
      metrics: { total_messages: 6, inbound_messages: 3, outbound_messages: 3, unique_users: 2, new_users: 2, engagement_rate: 0.5, user_satisfaction_score: null },
      daily_breakdown: [{ date: today(), messages: 6, users: 2, new_users: 2 }],
    });
    expect(body.metrics.average_response_time_seconds).toBeGreaterThanOrEqual(0);

    const list = (await (await api("/api/v1/channels", { token: s.access_token })).json()) as any;
    expect(list.channels[0]).toMatchObject({ user_count: 2, last_activity_at: expect.any(String) });
  });

  it("defaults to the last 30 days and filters metrics", async () => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const res = await api(`/api/v1/channels/${ch.id}/analytics?metrics=users`, { token: s.access_token });
    const body = (await res.json()) as any;
    expect(body.daily_breakdown).toHaveLength(30);
    expect(body.date_range.end_date).toBe(today());
    expect(Object.keys(body.metrics).sort()).toEqual(["new_users", "unique_users"]);
    expect(body.metrics).toEqual({ unique_users: 0, new_users: 0 });
  });

  it.each([
    ["start_date=2024-13-01", "start_date"],
    ["end_date=yesterday", "end_date"],
    ["start_date=2024-02-10&end_date=2024-02-01", "start_date"],
    ["start_date=2020-01-01&end_date=2024-01-01", "start_date"],
    ["metrics=messages,vibes", "metrics"],
  ])("rejects %s with 422", async (query, field) => {
    const s = await createCreator();
    const ch = await connectTelegram(s);
    const res = await api(`/api/v1/channels/${ch.id}/analytics?${query}`, { token: s.access_token });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details.map((d) => d.field)).toContain(field);
  });
});
