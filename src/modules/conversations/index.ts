// Conversations: listing, messages, reset/archive/release, the agents' WebSocket, AI context.
export { conversationsRouter } from "./routes";
