// Notifications for members and the live inbox stream (one Durable Object per creator).
export { notificationsRouter } from "./routes";
export { notify, notifyDocumentFailed } from "./service";

// The module's face for other modules (they import nothing else of it: .dependency-cruiser.cjs).
export { onEscalation } from "./handover";
export { inboxEvents, inboxStub } from "./inbox";
