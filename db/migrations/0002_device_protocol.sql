CREATE TYPE "public"."action_state" AS ENUM('scheduled', 'downloading', 'downloaded', 'installing', 'installed_awaiting_confirmation', 'cancel_requested', 'succeeded', 'failed', 'canceled', 'rolled_back');--> statement-breakpoint
CREATE TYPE "public"."release_state" AS ENUM('draft', 'submitted', 'verified', 'in_review', 'approved', 'rejected', 'withdrawn', 'recalled');--> statement-breakpoint
CREATE TABLE "action_feedback" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "action_feedback_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"action_id" integer NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"execution" text NOT NULL,
	"finished" text,
	"details" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"invalid_json" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "artifacts" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "artifacts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"sha256" text NOT NULL,
	"sha1" text NOT NULL,
	"md5" text NOT NULL,
	"size" bigint NOT NULL,
	"content_type" text DEFAULT 'application/octet-stream' NOT NULL,
	"uploaded_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "artifacts_sha256_unique" UNIQUE("sha256")
);
--> statement-breakpoint
CREATE TABLE "deployment_actions" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "deployment_actions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"device_id" integer NOT NULL,
	"release_id" integer NOT NULL,
	"state" "action_state" DEFAULT 'scheduled' NOT NULL,
	"cancel_requested_at" timestamp with time zone,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"last_feedback_at" timestamp with time zone,
	"feedback_count" integer DEFAULT 0 NOT NULL,
	"previous_version" text NOT NULL,
	"failure_reason" text
);
--> statement-breakpoint
CREATE TABLE "device_credentials" (
	"device_id" integer PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"token_hint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "device_credentials_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "device_reports" (
	"device_id" integer PRIMARY KEY NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"attributes_at" timestamp with time zone,
	"in_clinical_use" boolean,
	"clinical_use_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "maintenance_windows" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "maintenance_windows_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"unit_id" integer NOT NULL,
	"rrule" text NOT NULL,
	"starts_at" text NOT NULL,
	"duration_minutes" integer NOT NULL,
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "releases" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "releases_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"model_id" integer NOT NULL,
	"version" text NOT NULL,
	"security_version" integer NOT NULL,
	"hardware_revisions" text[] NOT NULL,
	"artifact_id" integer NOT NULL,
	"filename" text NOT NULL,
	"state" "release_state" DEFAULT 'draft' NOT NULL,
	"notes" text,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_keys" (
	"purpose" text PRIMARY KEY NOT NULL,
	"public_key_pem" text NOT NULL,
	"private_key_pem" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "telemetry_samples" (
	"device_id" integer NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"battery_pct" real,
	"sensor_drift" real,
	"power_draw_w" real,
	"alarm_count" integer,
	"reboots" integer,
	"error_codes" text[],
	"in_clinical_use" boolean,
	"firmware_version" text
);
--> statement-breakpoint
DROP INDEX "devices_last_contact_idx";--> statement-breakpoint
ALTER TABLE "action_feedback" ADD CONSTRAINT "action_feedback_action_id_deployment_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."deployment_actions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_uploaded_by_users_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployment_actions" ADD CONSTRAINT "deployment_actions_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployment_actions" ADD CONSTRAINT "deployment_actions_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployment_actions" ADD CONSTRAINT "deployment_actions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_credentials" ADD CONSTRAINT "device_credentials_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_reports" ADD CONSTRAINT "device_reports_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maintenance_windows" ADD CONSTRAINT "maintenance_windows_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "releases" ADD CONSTRAINT "releases_model_id_device_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."device_models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "releases" ADD CONSTRAINT "releases_artifact_id_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "releases" ADD CONSTRAINT "releases_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "action_feedback_action_idx" ON "action_feedback" USING btree ("action_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "deployment_actions_one_open_key" ON "deployment_actions" USING btree ("device_id") WHERE state in ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested');--> statement-breakpoint
CREATE INDEX "deployment_actions_device_idx" ON "deployment_actions" USING btree ("device_id","id");--> statement-breakpoint
CREATE INDEX "deployment_actions_release_idx" ON "deployment_actions" USING btree ("release_id","state");--> statement-breakpoint
CREATE INDEX "maintenance_windows_unit_idx" ON "maintenance_windows" USING btree ("unit_id");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_model_version_key" ON "releases" USING btree ("model_id","version");--> statement-breakpoint
CREATE INDEX "telemetry_samples_taken_brin" ON "telemetry_samples" USING brin ("taken_at");--> statement-breakpoint
CREATE INDEX "telemetry_samples_device_idx" ON "telemetry_samples" USING btree ("device_id","taken_at");--> statement-breakpoint
CREATE INDEX "devices_last_contact_idx" ON "devices" USING btree (coalesce("last_contact_at", 'epoch'::timestamptz),"id");