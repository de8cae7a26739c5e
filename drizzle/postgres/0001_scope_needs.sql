CREATE TABLE "token_scope_needs" (
	"token_id" text NOT NULL,
	"scope" text NOT NULL,
	"count" bigint NOT NULL,
	"last_used_at" bigint NOT NULL,
	CONSTRAINT "token_scope_needs_token_id_scope_pk" PRIMARY KEY("token_id","scope")
);
