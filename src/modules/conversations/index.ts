// Conversations: listing, messages, reset/archive/release, the agents' WebSocket, AI context, Socket.IO.
import { createRouter } from "../../lib/router";
import { conversationsRouter as restRouter } from "./routes";
import { socketIoRouter } from "./socketio";

export const conversationsRouter = createRouter({ rateLimit: "default", meter: "api" }).route("/", restRouter).route("/", socketIoRouter);
export { listMessages } from "./service";
