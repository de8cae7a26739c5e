ALTER TABLE "client_secrets" ADD COLUMN "scopes" jsonb;--> statement-breakpoint
ALTER TABLE "client_secrets" ADD COLUMN "created_by" text;--> statement-breakpoint
ALTER TABLE "client_secrets" ADD COLUMN "last_used_at" bigint;--> statement-breakpoint
ALTER TABLE "signing_keys" ADD COLUMN "activates_at" bigint;--> statement-breakpoint
ALTER TABLE "tokens" ADD COLUMN "kid" text;--> statement-breakpoint
ALTER TABLE "tokens" ADD COLUMN "bound_to" text;--> statement-breakpoint
CREATE INDEX "tokens_bound_idx" ON "tokens" USING btree ("bound_to");