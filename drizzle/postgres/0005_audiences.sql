ALTER TABLE "apps" ADD COLUMN "audiences" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "tokens" ADD COLUMN "audiences" jsonb;