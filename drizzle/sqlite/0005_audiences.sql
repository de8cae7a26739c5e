ALTER TABLE `apps` ADD `audiences` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `tokens` ADD `audiences` text;