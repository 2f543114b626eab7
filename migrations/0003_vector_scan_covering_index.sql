PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_chunk_vectors` (
	`chunk_seq` integer PRIMARY KEY NOT NULL,
	`chunk_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`knowledge_base_id` text NOT NULL,
	`document_id` text NOT NULL,
	`dimensions` integer NOT NULL,
	`embedding` blob NOT NULL,
	`sketch` blob NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_chunk_vectors`("chunk_seq", "chunk_id", "creator_id", "knowledge_base_id", "document_id", "dimensions", "embedding", "sketch") SELECT "chunk_seq", "chunk_id", "creator_id", "knowledge_base_id", "document_id", "dimensions", "embedding", "sketch" FROM `chunk_vectors`;--> statement-breakpoint
DROP TABLE `chunk_vectors`;--> statement-breakpoint
ALTER TABLE `__new_chunk_vectors` RENAME TO `chunk_vectors`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `chunk_vectors_scan_idx` ON `chunk_vectors` (`creator_id`,`knowledge_base_id`,`chunk_seq`,`document_id`,`sketch`);--> statement-breakpoint
CREATE INDEX `chunk_vectors_document_idx` ON `chunk_vectors` (`document_id`);