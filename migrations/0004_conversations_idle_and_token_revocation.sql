ALTER TABLE `widget_configs` ADD `token_epoch` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `widget_sessions` ADD `ended_at` text;--> statement-breakpoint
CREATE INDEX `conversations_status_last_message_idx` ON `conversations` (`status`,`last_message_at`);