CREATE TABLE `email_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`conversation_id` text,
	`message_id` text,
	`direction` text NOT NULL,
	`rfc_message_id` text NOT NULL,
	`in_reply_to` text,
	`references` text DEFAULT '[]' NOT NULL,
	`from_address` text NOT NULL,
	`to_address` text NOT NULL,
	`subject` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`ignored_reason` text,
	`raw` text,
	`attachments` text DEFAULT '[]' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_messages_rfc_unique` ON `email_messages` (`channel_id`,`rfc_message_id`);--> statement-breakpoint
CREATE INDEX `email_messages_conversation_idx` ON `email_messages` (`conversation_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `email_messages_creator_idx` ON `email_messages` (`creator_id`,`created_at`);