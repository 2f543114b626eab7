CREATE TABLE `conversation_files` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	`end_user_id` text,
	`name` text NOT NULL,
	`content_type` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`r2_key` text NOT NULL,
	`source` text NOT NULL,
	`uploaded_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `conversation_files_conversation_idx` ON `conversation_files` (`creator_id`,`conversation_id`,`created_at`);