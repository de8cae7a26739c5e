ALTER TABLE `client_secrets` ADD `scopes` text;--> statement-breakpoint
ALTER TABLE `client_secrets` ADD `created_by` text;--> statement-breakpoint
ALTER TABLE `client_secrets` ADD `last_used_at` integer;--> statement-breakpoint
ALTER TABLE `signing_keys` ADD `activates_at` integer;--> statement-breakpoint
ALTER TABLE `tokens` ADD `kid` text;--> statement-breakpoint
ALTER TABLE `tokens` ADD `bound_to` text;--> statement-breakpoint
CREATE INDEX `tokens_bound_idx` ON `tokens` (`bound_to`);