// Analytics: rollups written with the message mirror, the activity stream, and the read endpoints.
export { analyticsRouter } from "./routes";
export { afterMirror, batchAnalytics, flushAnalytics, type AnalyticsFlush, type OwnAnalytics } from "./mirror-hook";
export { recordActivity, sweepActivity } from "./dispatch";
export { recordUserCreated } from "./users";
export { recordRating } from "./ratings";
