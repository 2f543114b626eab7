CREATE TABLE `channel_events` (
	`channel_id` text NOT NULL,
	`event_key` text NOT NULL,
	`creator_id` text NOT NULL,
	`kind` text NOT NULL,
	`detail` text,
	`received_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`processed_at` text,
	PRIMARY KEY(`channel_id`, `event_key`)
);
--> statement-breakpoint
CREATE INDEX `channel_events_creator_idx` ON `channel_events` (`creator_id`,`received_at`);--> statement-breakpoint
CREATE TABLE `channel_message_refs` (
	`channel_id` text NOT NULL,
	`external_message_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`message_id` text NOT NULL,
	`part` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`channel_id`, `external_message_id`)
);
--> statement-breakpoint
CREATE INDEX `channel_message_refs_creator_idx` ON `channel_message_refs` (`creator_id`);--> statement-breakpoint
CREATE TABLE `channels` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`status_detail` text,
	`configuration` text DEFAULT '{}' NOT NULL,
	`secrets` text,
	`external_account_id` text,
	`webhook_key_hash` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `channels_creator_idx` ON `channels` (`creator_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `channels_account_unique` ON `channels` (`type`,`external_account_id`);--> statement-breakpoint
CREATE INDEX `channels_webhook_key_idx` ON `channels` (`webhook_key_hash`);