DROP INDEX `end_users_creator_timezone_idx`;--> statement-breakpoint
CREATE INDEX `end_users_creator_timezone_idx` ON `end_users` (`creator_id`,`timezone`,`id`);--> statement-breakpoint
DROP INDEX `proactive_sends_occurrence_unique`;--> statement-breakpoint
CREATE UNIQUE INDEX `proactive_sends_occurrence_unique` ON `proactive_sends` (`rule_id`,`occurrence_key`,`end_user_id`,`action_index`);