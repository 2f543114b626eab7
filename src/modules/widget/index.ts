// The web channel's server side: widget configuration and embed code, widget sessions (a visitor,
// their conversation and a short-lived widget token; not the members' login sessions of modules/auth),
// the widget's WebSocket connect, token revocation and the /demo page.
export { widgetRouter } from "./routes";
export { widgetSessionsRouter } from "./widget-session-routes";
export { demoRouter } from "./demo";
export { widgetAudience } from "./tokens";
export { widgetCacheControl } from "./script";

// The module's face for other modules (they import nothing else of it: .dependency-cruiser.cjs).
export { verifyWidgetToken } from "./tokens";
export { verifyLiveWidgetToken } from "./revocation";
