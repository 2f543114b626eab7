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