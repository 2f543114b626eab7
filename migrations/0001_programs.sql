CREATE TABLE `end_user_badges` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`end_user_id` text NOT NULL,
	`badge_id` text NOT NULL,
	`badge_name` text NOT NULL,
	`program_id` text,
	`enrollment_id` text,
	`earned_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `end_user_badges_unique` ON `end_user_badges` (`end_user_id`,`badge_id`);--> statement-breakpoint
CREATE INDEX `end_user_badges_creator_earned_idx` ON `end_user_badges` (`creator_id`,`earned_at`);--> statement-breakpoint
CREATE TABLE `enrollment_steps` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`enrollment_id` text NOT NULL,
	`step_index` integer NOT NULL,
	`node_id` text NOT NULL,
	`node_type` text NOT NULL,
	`outcome` text NOT NULL,
	`detail` text DEFAULT '{}' NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_steps_unique` ON `enrollment_steps` (`enrollment_id`,`step_index`);--> statement-breakpoint
CREATE TABLE `proactive_opt_outs` (
	`end_user_id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`opted_out_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `proactive_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`trigger_type` text NOT NULL,
	`trigger_conditions` text NOT NULL,
	`actions` text NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`evaluated_until` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `proactive_rules_active_idx` ON `proactive_rules` (`is_active`,`creator_id`);--> statement-breakpoint
CREATE TABLE `proactive_sends` (
	`id` integer PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`rule_id` text NOT NULL,
	`end_user_id` text NOT NULL,
	`occurrence_key` text NOT NULL,
	`action_index` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`skip_reason` text,
	`due_at` text NOT NULL,
	`claimed_until` text,
	`local_date` text,
	`text` text,
	`sent_at` text,
	`responded_at` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `proactive_sends_occurrence_unique` ON `proactive_sends` (`rule_id`,`end_user_id`,`occurrence_key`,`action_index`);--> statement-breakpoint
CREATE INDEX `proactive_sends_due_idx` ON `proactive_sends` (`status`,`due_at`);--> statement-breakpoint
CREATE INDEX `proactive_sends_user_day_idx` ON `proactive_sends` (`end_user_id`,`local_date`,`status`) WHERE local_date IS NOT NULL;--> statement-breakpoint
CREATE INDEX `proactive_sends_creator_sent_idx` ON `proactive_sends` (`creator_id`,`sent_at`) WHERE sent_at IS NOT NULL;--> statement-breakpoint
CREATE TABLE `program_enrollments` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`program_id` text NOT NULL,
	`version` integer NOT NULL,
	`end_user_id` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`current_node_id` text NOT NULL,
	`step_index` integer DEFAULT 0 NOT NULL,
	`next_run_at` text,
	`awaiting` text,
	`claimed_until` text,
	`enrolled_at` text NOT NULL,
	`last_progress_at` text NOT NULL,
	`paused_at` text,
	`completed_at` text,
	`cancelled_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `program_enrollments_running_unique` ON `program_enrollments` (`program_id`,`end_user_id`) WHERE status IN ('active', 'paused');--> statement-breakpoint
CREATE INDEX `program_enrollments_due_idx` ON `program_enrollments` (`status`,`next_run_at`);--> statement-breakpoint
CREATE INDEX `program_enrollments_program_idx` ON `program_enrollments` (`creator_id`,`program_id`,`status`);--> statement-breakpoint
CREATE INDEX `program_enrollments_user_idx` ON `program_enrollments` (`end_user_id`,`status`);--> statement-breakpoint
CREATE INDEX `program_enrollments_stalled_idx` ON `program_enrollments` (`creator_id`,`awaiting`,`last_progress_at`);--> statement-breakpoint
CREATE INDEX `program_enrollments_completed_idx` ON `program_enrollments` (`creator_id`,`completed_at`);--> statement-breakpoint
CREATE TABLE `program_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`program_id` text NOT NULL,
	`version` integer NOT NULL,
	`flow_definition` text NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`published_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `program_versions_unique` ON `program_versions` (`program_id`,`version`);--> statement-breakpoint
CREATE TABLE `programs` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`status` text DEFAULT 'draft' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`published_version` integer,
	`flow_definition` text NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`published_at` text,
	`archived_at` text
);
--> statement-breakpoint
CREATE INDEX `programs_creator_status_idx` ON `programs` (`creator_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `end_users_creator_timezone_idx` ON `end_users` (`creator_id`,`timezone`);