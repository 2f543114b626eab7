ALTER TABLE `widget_configs` ADD `token_epoch` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `widget_sessions` ADD `ended_at` text;