CREATE TABLE "token_usage_daily" (
	"token_id" text NOT NULL,
	"day" text NOT NULL,
	"scope" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "token_usage_daily_token_id_day_scope_pk" PRIMARY KEY("token_id","day","scope")
);
--> statement-breakpoint
ALTER TABLE "tokens" ADD COLUMN "description" text;--> statement-breakpoint
CREATE UNIQUE INDEX "apps_name_unique" ON "apps" USING btree ("name");