CREATE TABLE `end_user_memories` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`end_user_id` text NOT NULL,
	`type` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`expires_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`last_accessed_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `end_user_memories_key_unique` ON `end_user_memories` (`creator_id`,`end_user_id`,`type`,`key`);--> statement-breakpoint
CREATE INDEX `end_user_memories_user_idx` ON `end_user_memories` (`creator_id`,`end_user_id`);--> statement-breakpoint
ALTER TABLE `knowledge_bases` ADD `audience` text DEFAULT 'public' NOT NULL;