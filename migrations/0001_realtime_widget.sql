CREATE TABLE `conversation_presence` (
	`conversation_id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`user_sockets` integer DEFAULT 0 NOT NULL,
	`agent_sockets` integer DEFAULT 0 NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `conversation_presence_creator_idx` ON `conversation_presence` (`creator_id`);--> statement-breakpoint
CREATE TABLE `widget_configs` (
	`creator_id` text PRIMARY KEY NOT NULL,
	`widget_key` text NOT NULL,
	`title` text DEFAULT 'Chat with us' NOT NULL,
	`color` text DEFAULT '#2563eb' NOT NULL,
	`position` text DEFAULT 'bottom-right' NOT NULL,
	`welcome_message` text DEFAULT 'Hi! Ask me anything.' NOT NULL,
	`launcher_text` text DEFAULT 'Chat' NOT NULL,
	`language` text DEFAULT 'en' NOT NULL,
	`allowed_origins` text DEFAULT '[]' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `widget_configs_key_unique` ON `widget_configs` (`widget_key`);--> statement-breakpoint
CREATE TABLE `widget_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`end_user_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	`visitor_id` text NOT NULL,
	`origin` text,
	`language` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `widget_sessions_creator_idx` ON `widget_sessions` (`creator_id`);--> statement-breakpoint
CREATE INDEX `widget_sessions_end_user_idx` ON `widget_sessions` (`end_user_id`);