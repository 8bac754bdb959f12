CREATE TYPE "public"."rollout_state" AS ENUM('running', 'paused', 'halted', 'completed', 'canceled');--> statement-breakpoint
CREATE TYPE "public"."wave_kind" AS ENUM('lab', 'pilot', 'general');--> statement-breakpoint
CREATE TYPE "public"."wave_state" AS ENUM('pending', 'active', 'completed', 'canceled');--> statement-breakpoint
CREATE TABLE "blackouts" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "blackouts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"unit_id" integer,
	"site_id" integer,
	"starts_on" date NOT NULL,
	"ends_on" date NOT NULL,
	"reason" text NOT NULL,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "freezes" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "freezes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"reason" text NOT NULL,
	"started_by" integer,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_by" integer,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "rollout_devices" (
	"rollout_id" integer NOT NULL,
	"device_id" integer NOT NULL,
	"wave_id" integer NOT NULL,
	"action_id" integer,
	"skipped_reason" text,
	CONSTRAINT "rollout_devices_rollout_id_device_id_pk" PRIMARY KEY("rollout_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "rollout_waves" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "rollout_waves_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"rollout_id" integer NOT NULL,
	"position" integer NOT NULL,
	"name" text NOT NULL,
	"kind" "wave_kind" NOT NULL,
	"state" "wave_state" DEFAULT 'pending' NOT NULL,
	"min_success_pct" real NOT NULL,
	"max_failure_pct" real NOT NULL,
	"min_sample" integer NOT NULL,
	"soak_minutes" integer NOT NULL,
	"require_acknowledgement" boolean NOT NULL,
	"require_go_ahead" boolean NOT NULL,
	"go_ahead_by" integer,
	"go_ahead_name" text,
	"go_ahead_at" timestamp with time zone,
	"gates" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "rollouts" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "rollouts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"release_id" integer NOT NULL,
	"name" text NOT NULL,
	"state" "rollout_state" DEFAULT 'running' NOT NULL,
	"state_reason" text,
	"target_filter" jsonb NOT NULL,
	"max_concurrent" integer DEFAULT 50 NOT NULL,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "deployment_actions" ADD COLUMN "rollout_id" integer;--> statement-breakpoint
ALTER TABLE "deployment_actions" ADD COLUMN "wave_id" integer;--> statement-breakpoint
ALTER TABLE "blackouts" ADD CONSTRAINT "blackouts_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "blackouts" ADD CONSTRAINT "blackouts_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "blackouts" ADD CONSTRAINT "blackouts_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "freezes" ADD CONSTRAINT "freezes_started_by_users_id_fk" FOREIGN KEY ("started_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "freezes" ADD CONSTRAINT "freezes_ended_by_users_id_fk" FOREIGN KEY ("ended_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_wave_id_rollout_waves_id_fk" FOREIGN KEY ("wave_id") REFERENCES "public"."rollout_waves"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_action_id_deployment_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."deployment_actions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_waves" ADD CONSTRAINT "rollout_waves_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_waves" ADD CONSTRAINT "rollout_waves_go_ahead_by_users_id_fk" FOREIGN KEY ("go_ahead_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "freezes_active_idx" ON "freezes" USING btree ("id") WHERE ended_at IS NULL;--> statement-breakpoint
CREATE INDEX "rollout_devices_wave_idx" ON "rollout_devices" USING btree ("wave_id");--> statement-breakpoint
CREATE INDEX "rollout_waves_rollout_idx" ON "rollout_waves" USING btree ("rollout_id","position");--> statement-breakpoint
CREATE INDEX "rollouts_state_idx" ON "rollouts" USING btree ("state","id");--> statement-breakpoint
CREATE INDEX "deployment_actions_rollout_idx" ON "deployment_actions" USING btree ("rollout_id","state") WHERE rollout_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX "deployment_actions_wave_idx" ON "deployment_actions" USING btree ("wave_id","state") WHERE wave_id IS NOT NULL;