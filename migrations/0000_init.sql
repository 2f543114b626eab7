CREATE TABLE `creators` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`full_name` text NOT NULL,
	`company_name` text,
	`subscription_tier` text DEFAULT 'free' NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`bio` text,
	`website_url` text,
	`avatar_url` text,
	`settings` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `gdpr_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`requested_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`completed_at` text,
	`summary` text
);
--> statement-breakpoint
CREATE INDEX `gdpr_requests_creator_idx` ON `gdpr_requests` (`creator_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `gdpr_requests_one_pending` ON `gdpr_requests` (`creator_id`) WHERE status = 'pending';--> statement-breakpoint
CREATE TABLE `members` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`email` text NOT NULL,
	`full_name` text NOT NULL,
	`role` text NOT NULL,
	`status` text NOT NULL,
	`password_hash` text,
	`last_login_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `members_email_unique` ON `members` (`email`);--> statement-breakpoint
CREATE INDEX `members_creator_idx` ON `members` (`creator_id`);--> statement-breakpoint
CREATE TABLE `one_time_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`member_id` text NOT NULL,
	`purpose` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `one_time_tokens_hash_unique` ON `one_time_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `one_time_tokens_member_idx` ON `one_time_tokens` (`member_id`);--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`session_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_hash_unique` ON `refresh_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_session_idx` ON `refresh_tokens` (`session_id`);--> statement-breakpoint
CREATE TABLE `revoked_tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`member_id` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`last_used_at` text,
	`expires_at` text NOT NULL,
	`revoked_at` text,
	`revoked_reason` text
);
--> statement-breakpoint
CREATE INDEX `sessions_member_idx` ON `sessions` (`member_id`);--> statement-breakpoint
CREATE INDEX `sessions_creator_idx` ON `sessions` (`creator_id`);--> statement-breakpoint
CREATE TABLE `signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`alg` text NOT NULL,
	`public_jwk` text NOT NULL,
	`private_jwk_enc` text NOT NULL,
	`status` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`retired_at` text,
	`publish_until` text
);
--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`end_user_id` text,
	`channel` text NOT NULL,
	`channel_id` text,
	`status` text DEFAULT 'active' NOT NULL,
	`assigned_member_id` text,
	`knowledge_base_id` text,
	`context` text DEFAULT '{}' NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`last_seq` integer DEFAULT 0 NOT NULL,
	`last_message_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `conversations_creator_status_idx` ON `conversations` (`creator_id`,`status`,`last_message_at`);--> statement-breakpoint
CREATE INDEX `conversations_end_user_idx` ON `conversations` (`end_user_id`);--> statement-breakpoint
CREATE TABLE `end_users` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`channel` text NOT NULL,
	`external_id` text NOT NULL,
	`display_name` text,
	`language` text,
	`timezone` text,
	`profile` text DEFAULT '{}' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`last_active_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `end_users_identity_unique` ON `end_users` (`creator_id`,`channel`,`external_id`);--> statement-breakpoint
CREATE INDEX `end_users_creator_active_idx` ON `end_users` (`creator_id`,`last_active_at`);--> statement-breakpoint
CREATE INDEX `end_users_creator_timezone_idx` ON `end_users` (`creator_id`,`timezone`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	`seq` integer NOT NULL,
	`sender` text NOT NULL,
	`sender_id` text,
	`sender_name` text,
	`text` text NOT NULL,
	`sources` text,
	`client_message_id` text,
	`delivery_status` text,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_conversation_seq_unique` ON `messages` (`conversation_id`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `messages_conversation_client_unique` ON `messages` (`conversation_id`,`client_message_id`);--> statement-breakpoint
CREATE INDEX `messages_creator_created_idx` ON `messages` (`creator_id`,`created_at`);--> statement-breakpoint
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
CREATE INDEX `widget_sessions_end_user_idx` ON `widget_sessions` (`end_user_id`);--> statement-breakpoint
CREATE TABLE `channel_events` (
	`channel_id` text NOT NULL,
	`event_key` text NOT NULL,
	`creator_id` text NOT NULL,
	`kind` text NOT NULL,
	`detail` text,
	`received_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`processed_at` text,
	PRIMARY KEY(`channel_id`, `event_key`)
);
--> statement-breakpoint
CREATE INDEX `channel_events_creator_idx` ON `channel_events` (`creator_id`,`received_at`);--> statement-breakpoint
CREATE TABLE `channel_message_refs` (
	`channel_id` text NOT NULL,
	`external_message_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`message_id` text NOT NULL,
	`part` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`channel_id`, `external_message_id`)
);
--> statement-breakpoint
CREATE INDEX `channel_message_refs_creator_idx` ON `channel_message_refs` (`creator_id`);--> statement-breakpoint
CREATE TABLE `channels` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`status_detail` text,
	`configuration` text DEFAULT '{}' NOT NULL,
	`secrets` text,
	`external_account_id` text,
	`webhook_key_hash` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `channels_creator_idx` ON `channels` (`creator_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `channels_account_unique` ON `channels` (`type`,`external_account_id`);--> statement-breakpoint
CREATE INDEX `channels_webhook_key_idx` ON `channels` (`webhook_key_hash`);--> statement-breakpoint
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
CREATE TABLE `ai_request_metrics` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`kind` text NOT NULL,
	`retrieval_ms` real NOT NULL,
	`generation_ms` real DEFAULT 0 NOT NULL,
	`total_ms` real NOT NULL,
	`sources_count` integer DEFAULT 0 NOT NULL,
	`model_used` text,
	`cache_hit` integer DEFAULT false NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ai_request_metrics_creator_idx` ON `ai_request_metrics` (`creator_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `chunk_vectors` (
	`chunk_seq` integer PRIMARY KEY NOT NULL,
	`chunk_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`knowledge_base_id` text NOT NULL,
	`document_id` text NOT NULL,
	`dimensions` integer NOT NULL,
	`embedding` blob NOT NULL,
	`sketch` blob
);
--> statement-breakpoint
CREATE INDEX `chunk_vectors_scan_idx` ON `chunk_vectors` (`creator_id`,`knowledge_base_id`,`chunk_seq`);--> statement-breakpoint
CREATE INDEX `chunk_vectors_document_idx` ON `chunk_vectors` (`document_id`);--> statement-breakpoint
CREATE TABLE `documents` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`knowledge_base_id` text NOT NULL,
	`title` text NOT NULL,
	`filename` text NOT NULL,
	`file_type` text NOT NULL,
	`mime_type` text NOT NULL,
	`file_size_bytes` integer NOT NULL,
	`r2_key` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`processing_status` text DEFAULT 'pending' NOT NULL,
	`error_message` text,
	`generation` integer DEFAULT 1 NOT NULL,
	`chunks_total` integer DEFAULT 0 NOT NULL,
	`chunks_done` integer DEFAULT 0 NOT NULL,
	`content_chars` integer DEFAULT 0 NOT NULL,
	`processing_time_ms` integer,
	`processed_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `documents_kb_idx` ON `documents` (`creator_id`,`knowledge_base_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `documents_status_idx` ON `documents` (`creator_id`,`processing_status`);--> statement-breakpoint
CREATE TABLE `knowledge_bases` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`settings` text NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`revision` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `knowledge_bases_creator_idx` ON `knowledge_bases` (`creator_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `knowledge_chunks` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`creator_id` text NOT NULL,
	`knowledge_base_id` text NOT NULL,
	`document_id` text NOT NULL,
	`chunk_index` integer NOT NULL,
	`content` text NOT NULL,
	`heading` text DEFAULT '' NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `knowledge_chunks_id_unique` ON `knowledge_chunks` (`id`);--> statement-breakpoint
CREATE INDEX `knowledge_chunks_document_idx` ON `knowledge_chunks` (`document_id`,`chunk_index`);--> statement-breakpoint
CREATE INDEX `knowledge_chunks_creator_kb_idx` ON `knowledge_chunks` (`creator_id`,`knowledge_base_id`);