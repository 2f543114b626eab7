// The floor of a Telegram webhook under `wrangler dev`: constant-time-ish secret check, one queue
// send, 200 OK; the queue consumer posts one sendMessage per update to the Bot API stand-in.
// No de-duplication, no D1, no conversation: what EdgeCoach's webhook costs beyond this is ours.
export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    if (url.pathname === "/health") return new Response("ok");
    if (req.method !== "POST") return new Response("not found", { status: 404 });
    const update = await req.json();
    if (req.headers.get("X-Telegram-Bot-Api-Secret-Token") !== env.SECRET) return Response.json({ ok: false }, { status: 401 });
    await env.JOBS.send({ update });
    return Response.json({ ok: true, queued: 1 });
  },
  async queue(batch, env) {
    await Promise.all(
      batch.messages.map(async (m) => {
        const chat = m.body.update.message.chat.id;
        const res = await fetch(`${env.TELEGRAM_API_BASE_URL}/bot${env.BOT_TOKEN}/sendMessage`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ chat_id: chat, text: "ok" }),
        });
        await res.arrayBuffer();
        if (res.ok) m.ack();
        else m.retry();
      }),
    );
  },
};
