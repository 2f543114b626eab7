ALTER TABLE `creators` ADD `plan_overrides` text;--> statement-breakpoint
ALTER TABLE `channel_events` ADD `external_user_id` text;--> statement-breakpoint
UPDATE `channel_events` SET `external_user_id` = json_extract(`detail`, '$.user.externalId') WHERE `detail` IS NOT NULL AND json_extract(`detail`, '$.user.externalId') IS NOT NULL;
