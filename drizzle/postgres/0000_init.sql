CREATE TABLE "apps" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"allowed_scopes" jsonb NOT NULL,
	"max_token_lifetime_ms" bigint,
	"is_root" boolean DEFAULT false NOT NULL,
	"created_at" bigint NOT NULL,
	"disabled_at" bigint
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"at" bigint NOT NULL,
	"actor" text,
	"app_id" text,
	"action" text NOT NULL,
	"target" text,
	"request_id" text,
	"ip" text,
	"details" json DEFAULT '{}'::json NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_events_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "client_secrets" (
	"id" text PRIMARY KEY NOT NULL,
	"app_id" text NOT NULL,
	"secret_hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"revoked_at" bigint
);
--> statement-breakpoint
CREATE TABLE "meta" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scopes" (
	"name" text PRIMARY KEY NOT NULL,
	"description" text NOT NULL,
	"implies" jsonb NOT NULL,
	"built_in" boolean DEFAULT false NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"alg" text NOT NULL,
	"status" text NOT NULL,
	"public_jwk" text NOT NULL,
	"private_key" text NOT NULL,
	"created_at" bigint NOT NULL,
	"retire_after" bigint
);
--> statement-breakpoint
CREATE TABLE "token_scope_usage" (
	"token_id" text NOT NULL,
	"scope" text NOT NULL,
	"count" bigint NOT NULL,
	"last_used_at" bigint NOT NULL,
	CONSTRAINT "token_scope_usage_token_id_scope_pk" PRIMARY KEY("token_id","scope")
);
--> statement-breakpoint
CREATE TABLE "tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"app_id" text NOT NULL,
	"subject" text,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"scopes" jsonb NOT NULL,
	"secret_hash" text,
	"created_at" bigint NOT NULL,
	"expires_at" bigint,
	"revoked_at" bigint,
	"revoke_reason" text,
	"last_used_at" bigint,
	"created_by" text,
	"parent_id" text
);
--> statement-breakpoint
ALTER TABLE "client_secrets" ADD CONSTRAINT "client_secrets_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tokens" ADD CONSTRAINT "tokens_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_at_idx" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_app_idx" ON "audit_events" USING btree ("app_id","seq");--> statement-breakpoint
CREATE INDEX "tokens_created_idx" ON "tokens" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "tokens_app_created_idx" ON "tokens" USING btree ("app_id","created_at","id");--> statement-breakpoint
CREATE INDEX "tokens_parent_idx" ON "tokens" USING btree ("parent_id");