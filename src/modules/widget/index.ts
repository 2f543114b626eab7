// The web widget module: configuration, embed code and the /demo page.
export { widgetRouter } from "./routes";
export { demoRouter } from "./demo";
