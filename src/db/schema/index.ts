// The drizzle schema: one file per module, re-exported here for drizzle-kit and the db client.
export * from "./accounts";
export * from "./conversations";
export * from "./realtime";
export * from "./channels";
export * from "./programs";
export * from "./knowledge";
export * from "./api-keys";
export * from "./oauth";
export * from "./tasks";
export * from "./memory";
export * from "./analytics";
export * from "./webhooks";
export * from "./notifications";
export * from "./files";
