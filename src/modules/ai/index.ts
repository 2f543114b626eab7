// The AI engine module: conversations, search, models, cache, metrics; and the memory-engine paths.
export { aiRouter } from "./routes";
export { memoryRouter } from "./memory-routes";
export { history, openConversation } from "./conversations";
