CREATE TYPE "public"."incident_severity" AS ENUM('low', 'medium', 'high', 'critical');--> statement-breakpoint
CREATE TYPE "public"."incident_source" AS ENUM('failure_rate', 'health_regression', 'device_verification', 'credential_abuse', 'security_event', 'device_malfunction', 'problem_report', 'manual');--> statement-breakpoint
CREATE TYPE "public"."incident_status" AS ENUM('triage', 'contained', 'resolved', 'lessons_learned');--> statement-breakpoint
CREATE TABLE "downgrade_exceptions" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "downgrade_exceptions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"rollout_id" integer NOT NULL,
	"release_id" integer NOT NULL,
	"device_ids" integer[] NOT NULL,
	"safety_reason" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"requested_by" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"executed_rollout_id" integer
);
--> statement-breakpoint
CREATE TABLE "downgrade_signatures" (
	"exception_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"printed_name" text NOT NULL,
	"role" text NOT NULL,
	"signed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "downgrade_signatures_exception_id_user_id_pk" PRIMARY KEY("exception_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "app_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_by" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incident_devices" (
	"incident_id" integer NOT NULL,
	"device_id" integer NOT NULL,
	CONSTRAINT "incident_devices_incident_id_device_id_pk" PRIMARY KEY("incident_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "incidents_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"title" text NOT NULL,
	"description" text NOT NULL,
	"source" "incident_source" NOT NULL,
	"source_key" text,
	"severity" "incident_severity" NOT NULL,
	"status" "incident_status" DEFAULT 'triage' NOT NULL,
	"owner_id" integer,
	"escalation_level" integer DEFAULT 0 NOT NULL,
	"escalation_due_at" timestamp with time zone,
	"release_id" integer,
	"rollout_id" integer,
	"evidence" jsonb,
	"signed_off_by" integer,
	"signed_off_name" text,
	"signed_off_at" timestamp with time zone,
	"sign_off_reason" text,
	"verification" text,
	"lessons_learned" text,
	"opened_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "notifications_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"href" text,
	"incident_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"read_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "telemetry_hourly" (
	"device_id" integer NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"model_id" integer NOT NULL,
	"firmware_version" text,
	"samples" integer NOT NULL,
	"battery_sum" real DEFAULT 0 NOT NULL,
	"battery_n" integer DEFAULT 0 NOT NULL,
	"battery_min" real,
	"battery_max" real,
	"drift_abs_sum" real DEFAULT 0 NOT NULL,
	"drift_n" integer DEFAULT 0 NOT NULL,
	"power_sum" real DEFAULT 0 NOT NULL,
	"power_n" integer DEFAULT 0 NOT NULL,
	"alarms" integer DEFAULT 0 NOT NULL,
	"reboots" integer DEFAULT 0 NOT NULL,
	"error_codes" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "telemetry_hourly_device_id_hour_pk" PRIMARY KEY("device_id","hour")
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"event" text NOT NULL,
	"payload" jsonb NOT NULL,
	"delivered" boolean DEFAULT false NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "maintenance_windows" ALTER COLUMN "unit_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "deployment_actions" ADD COLUMN "security_counter" integer;--> statement-breakpoint
ALTER TABLE "maintenance_windows" ADD COLUMN "site_id" integer;--> statement-breakpoint
ALTER TABLE "maintenance_windows" ADD COLUMN "model_id" integer;--> statement-breakpoint
ALTER TABLE "rollouts" ADD COLUMN "downgrade_exception_id" integer;--> statement-breakpoint
ALTER TABLE "rollouts" ADD COLUMN "health_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "downgrade_exceptions" ADD CONSTRAINT "downgrade_exceptions_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downgrade_exceptions" ADD CONSTRAINT "downgrade_exceptions_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downgrade_exceptions" ADD CONSTRAINT "downgrade_exceptions_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downgrade_exceptions" ADD CONSTRAINT "downgrade_exceptions_executed_rollout_id_rollouts_id_fk" FOREIGN KEY ("executed_rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downgrade_signatures" ADD CONSTRAINT "downgrade_signatures_exception_id_downgrade_exceptions_id_fk" FOREIGN KEY ("exception_id") REFERENCES "public"."downgrade_exceptions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downgrade_signatures" ADD CONSTRAINT "downgrade_signatures_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "app_settings" ADD CONSTRAINT "app_settings_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_devices" ADD CONSTRAINT "incident_devices_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_devices" ADD CONSTRAINT "incident_devices_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_signed_off_by_users_id_fk" FOREIGN KEY ("signed_off_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_opened_by_users_id_fk" FOREIGN KEY ("opened_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "incident_devices_device_idx" ON "incident_devices" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "incidents_status_idx" ON "incidents" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "incidents_rollout_idx" ON "incidents" USING btree ("rollout_id");--> statement-breakpoint
CREATE INDEX "incidents_escalation_idx" ON "incidents" USING btree ("escalation_due_at");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_open_source_key" ON "incidents" USING btree ("source_key") WHERE status in ('triage','contained') and source_key is not null;--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notifications" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "telemetry_hourly_model_hour_idx" ON "telemetry_hourly" USING btree ("model_id","hour");--> statement-breakpoint
CREATE INDEX "telemetry_hourly_hour_brin" ON "telemetry_hourly" USING brin ("hour");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries" USING btree ("delivered","next_attempt_at");--> statement-breakpoint
ALTER TABLE "maintenance_windows" ADD CONSTRAINT "maintenance_windows_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maintenance_windows" ADD CONSTRAINT "maintenance_windows_model_id_device_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."device_models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "maintenance_windows_site_idx" ON "maintenance_windows" USING btree ("site_id");--> statement-breakpoint
ALTER TABLE "maintenance_windows" ADD CONSTRAINT "maintenance_windows_one_scope" CHECK ((unit_id IS NULL) <> (site_id IS NULL));