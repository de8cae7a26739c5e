ALTER TABLE `apps` ADD `token_constraints` text;--> statement-breakpoint
ALTER TABLE `tokens` ADD `constraints` text;--> statement-breakpoint
ALTER TABLE `tokens` ADD `credits_remaining` integer;--> statement-breakpoint
ALTER TABLE `tokens` ADD `credits_refilled_at` integer;