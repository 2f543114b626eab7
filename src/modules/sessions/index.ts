// The web channel: widget sessions, the widget WebSocket and live connections.
export { sessionsRouter } from "./routes";
