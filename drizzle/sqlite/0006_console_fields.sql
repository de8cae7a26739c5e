CREATE TABLE `token_usage_daily` (
	`token_id` text NOT NULL,
	`day` text NOT NULL,
	`scope` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`token_id`, `day`, `scope`)
);
--> statement-breakpoint
ALTER TABLE `tokens` ADD `description` text;--> statement-breakpoint
CREATE UNIQUE INDEX `apps_name_unique` ON `apps` (`name`);