CREATE TABLE `analytics_exports` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`member_id` text NOT NULL,
	`format` text NOT NULL,
	`metrics` text NOT NULL,
	`period` text NOT NULL,
	`delivery` text NOT NULL,
	`status` text NOT NULL,
	`r2_key` text,
	`size_bytes` integer,
	`error` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`completed_at` text
);
--> statement-breakpoint
CREATE INDEX `analytics_exports_creator_created` ON `analytics_exports` (`creator_id`,`created_at`);