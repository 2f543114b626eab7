CREATE TABLE `unanswered_questions` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	`end_user_id` text,
	`channel` text NOT NULL,
	`question` text NOT NULL,
	`reason` text NOT NULL,
	`embedding` text,
	`embedding_model` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `unanswered_questions_creator_created` ON `unanswered_questions` (`creator_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `unanswered_questions_end_user` ON `unanswered_questions` (`end_user_id`);