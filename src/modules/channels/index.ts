// The web channel: widget sessions, the widget WebSocket and live connections.
export { channelsRouter } from "./routes";
