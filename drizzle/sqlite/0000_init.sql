CREATE TABLE `apps` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`allowed_scopes` text NOT NULL,
	`max_token_lifetime_ms` integer,
	`is_root` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`disabled_at` integer
);
--> statement-breakpoint
CREATE TABLE `audit_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`at` integer NOT NULL,
	`actor` text,
	`app_id` text,
	`action` text NOT NULL,
	`target` text,
	`request_id` text,
	`ip` text,
	`details` text DEFAULT '{}' NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_events_id_unique` ON `audit_events` (`id`);--> statement-breakpoint
CREATE INDEX `audit_at_idx` ON `audit_events` (`at`);--> statement-breakpoint
CREATE INDEX `audit_app_idx` ON `audit_events` (`app_id`,`seq`);--> statement-breakpoint
CREATE TABLE `client_secrets` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `scopes` (
	`name` text PRIMARY KEY NOT NULL,
	`description` text NOT NULL,
	`implies` text NOT NULL,
	`built_in` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`alg` text NOT NULL,
	`status` text NOT NULL,
	`public_jwk` text NOT NULL,
	`private_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`retire_after` integer
);
--> statement-breakpoint
CREATE TABLE `token_scope_usage` (
	`token_id` text NOT NULL,
	`scope` text NOT NULL,
	`count` integer NOT NULL,
	`last_used_at` integer NOT NULL,
	PRIMARY KEY(`token_id`, `scope`)
);
--> statement-breakpoint
CREATE TABLE `tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`subject` text,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`scopes` text NOT NULL,
	`secret_hash` text,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`revoke_reason` text,
	`last_used_at` integer,
	`created_by` text,
	`parent_id` text,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tokens_created_idx` ON `tokens` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tokens_app_created_idx` ON `tokens` (`app_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tokens_parent_idx` ON `tokens` (`parent_id`);