CREATE TABLE `token_scope_needs` (
	`token_id` text NOT NULL,
	`scope` text NOT NULL,
	`count` integer NOT NULL,
	`last_used_at` integer NOT NULL,
	PRIMARY KEY(`token_id`, `scope`)
);
