// A hello-world Worker: the floor of what one request costs under `wrangler dev` on this machine.
// `?log` adds one JSON console.log line per request, like EdgeCoach's access log.
export default {
  async fetch(req) {
    const url = new URL(req.url);
    if (url.searchParams.has("log")) {
      console.log(JSON.stringify({ timestamp: new Date().toISOString(), level: "info", message: "request", path: url.pathname, status: 200, duration_ms: 0 }));
    }
    return new Response("ok");
  },
};
