CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`created_by` text NOT NULL,
	`kind` text NOT NULL,
	`input` text NOT NULL,
	`state` text DEFAULT 'queued' NOT NULL,
	`step` text,
	`progress` integer DEFAULT 0 NOT NULL,
	`result` text,
	`error` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`completed_at` text
);
--> statement-breakpoint
CREATE INDEX `tasks_creator_idx` ON `tasks` (`creator_id`,`created_at`);