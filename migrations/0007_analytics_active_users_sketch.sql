CREATE TABLE `analytics_active_users` (
	`creator_id` text NOT NULL,
	`day` text NOT NULL,
	`registers` text NOT NULL,
	PRIMARY KEY(`creator_id`, `day`)
);
