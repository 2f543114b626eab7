CREATE TABLE `conversation_ratings` (
	`conversation_id` text PRIMARY KEY NOT NULL,
	`creator_id` text NOT NULL,
	`channel` text NOT NULL,
	`score` integer NOT NULL,
	`comment` text,
	`source` text NOT NULL,
	`member_id` text,
	`created_at` text NOT NULL
);
