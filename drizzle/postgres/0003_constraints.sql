ALTER TABLE "apps" ADD COLUMN "token_constraints" jsonb;--> statement-breakpoint
ALTER TABLE "tokens" ADD COLUMN "constraints" jsonb;--> statement-breakpoint
ALTER TABLE "tokens" ADD COLUMN "credits_remaining" bigint;--> statement-breakpoint
ALTER TABLE "tokens" ADD COLUMN "credits_refilled_at" bigint;