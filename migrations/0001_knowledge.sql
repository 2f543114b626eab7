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
	`embedding` blob NOT NULL
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