CREATE TABLE `activity_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`creator_id` text NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`dispatched` integer DEFAULT 0 NOT NULL,
	`claimed_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `activity_events_id_unique` ON `activity_events` (`id`);--> statement-breakpoint
CREATE INDEX `activity_events_pending_idx` ON `activity_events` (`dispatched`,`creator_id`,`seq`);--> statement-breakpoint
CREATE INDEX `activity_events_creator_seq_idx` ON `activity_events` (`creator_id`,`seq`);--> statement-breakpoint
CREATE TABLE `analytics_active_users` (
	`creator_id` text NOT NULL,
	`day` text NOT NULL,
	`registers` text NOT NULL,
	PRIMARY KEY(`creator_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `analytics_rollups` (
	`creator_id` text NOT NULL,
	`granularity` text NOT NULL,
	`bucket` text NOT NULL,
	`channel` text NOT NULL,
	`user_messages` integer DEFAULT 0 NOT NULL,
	`ai_messages` integer DEFAULT 0 NOT NULL,
	`agent_messages` integer DEFAULT 0 NOT NULL,
	`unanswered` integer DEFAULT 0 NOT NULL,
	`conversations` integer DEFAULT 0 NOT NULL,
	`new_users` integer DEFAULT 0 NOT NULL,
	`engaged_conversations` integer DEFAULT 0 NOT NULL,
	`handovers` integer DEFAULT 0 NOT NULL,
	`resolved` integer DEFAULT 0 NOT NULL,
	`ai_resolved` integer DEFAULT 0 NOT NULL,
	`resolution_seconds` real DEFAULT 0 NOT NULL,
	`response_count` integer DEFAULT 0 NOT NULL,
	`response_seconds` real DEFAULT 0 NOT NULL,
	`human_reply_count` integer DEFAULT 0 NOT NULL,
	`human_reply_seconds` real DEFAULT 0 NOT NULL,
	`rating_count` integer DEFAULT 0 NOT NULL,
	`rating_sum` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`creator_id`, `granularity`, `bucket`, `channel`)
);
--> statement-breakpoint
CREATE TABLE `analytics_topics` (
	`creator_id` text NOT NULL,
	`day` text NOT NULL,
	`topic` text NOT NULL,
	`answers` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`creator_id`, `day`, `topic`)
);
--> statement-breakpoint
CREATE TABLE `conversation_analytics` (
	`conversation_id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`user_messages` integer DEFAULT 0 NOT NULL,
	`handover_at` text,
	`awaiting_human` integer DEFAULT 0 NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `conversation_ratings` (
	`conversation_id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`channel` text NOT NULL,
	`score` integer NOT NULL,
	`comment` text,
	`source` text NOT NULL,
	`member_id` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`creator_id` text NOT NULL,
	`delivery_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`status` text NOT NULL,
	`response_code` integer,
	`latency_ms` integer NOT NULL,
	`error` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_attempts_delivery_idx` ON `webhook_attempts` (`delivery_id`,`attempt`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`response_code` integer,
	`latency_ms` integer,
	`error` text,
	`lease_until` text,
	`next_attempt_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_endpoint_event_unique` ON `webhook_deliveries` (`endpoint_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_created_idx` ON `webhook_deliveries` (`endpoint_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_status_idx` ON `webhook_deliveries` (`endpoint_id`,`status`);--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`url` text NOT NULL,
	`description` text,
	`events` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`secret` text NOT NULL,
	`failing_since` text,
	`disabled_reason` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_creator_idx` ON `webhook_endpoints` (`creator_id`,`enabled`);--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`member_id` text NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`data` text DEFAULT '{}' NOT NULL,
	`read_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notifications_member_created_idx` ON `notifications` (`creator_id`,`member_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `notifications_member_unread_idx` ON `notifications` (`member_id`,`read_at`);