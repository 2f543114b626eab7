// Notifications for members and the live inbox stream (one Durable Object per creator).
export { notificationsRouter } from "./routes";
export { notify, notifyDocumentFailed } from "./service";
