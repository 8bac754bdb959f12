import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, real, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { INCIDENT_SEVERITIES, INCIDENT_SOURCES, INCIDENT_STATUSES } from "@/lib/domain";
import { users } from "./auth";
import { devices } from "./inventory";
import { releases } from "./protocol";
import { rollouts } from "./rollouts";

// One row per device and hour, kept current as samples arrive (charts and the regression gate read
// these, never the raw samples). Sums and counts so that hours merge by addition.
export const telemetryHourly = pgTable(
  "telemetry_hourly",
  {
    deviceId: integer("device_id").notNull(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    modelId: integer("model_id").notNull(),
    /** The firmware the device last said it ran during this hour. */
    firmwareVersion: text("firmware_version"),
    samples: integer("samples").notNull(),
    batterySum: real("battery_sum").notNull().default(0),
    batteryN: integer("battery_n").notNull().default(0),
    batteryMin: real("battery_min"),
    batteryMax: real("battery_max"),
    driftAbsSum: real("drift_abs_sum").notNull().default(0),
    driftN: integer("drift_n").notNull().default(0),
    powerSum: real("power_sum").notNull().default(0),
    powerN: integer("power_n").notNull().default(0),
    alarms: integer("alarms").notNull().default(0),
    reboots: integer("reboots").notNull().default(0),
    errorCodes: integer("error_codes").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.deviceId, t.hour] }),
    index("telemetry_hourly_model_hour_idx").on(t.modelId, t.hour),
    // Retention prunes by hour alone.
    index("telemetry_hourly_hour_brin").using("brin", t.hour),
  ],
);

// Settings an administrator tunes (telemetry retention, regression thresholds, escalation deadlines,
// the outgoing webhook). One JSON value per key, validated by the service that owns the key.
export const appSettings = pgTable("app_settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedBy: integer("updated_by").references(() => users.id),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const incidentSource = pgEnum("incident_source", INCIDENT_SOURCES);
export const incidentSeverity = pgEnum("incident_severity", INCIDENT_SEVERITIES);
export const incidentStatus = pgEnum("incident_status", INCIDENT_STATUSES);

export const incidents = pgTable(
  "incidents",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    title: text("title").notNull(),
    description: text("description").notNull(),
    source: incidentSource("source").notNull(),
    /** Deduplicates automatic incidents: one open incident per cause (e.g. "rollout:7:health_regression"). */
    sourceKey: text("source_key"),
    severity: incidentSeverity("severity").notNull(),
    status: incidentStatus("status").notNull().default("triage"),
    ownerId: integer("owner_id").references(() => users.id),
    escalationLevel: integer("escalation_level").notNull().default(0),
    escalationDueAt: timestamp("escalation_due_at", { withTimezone: true }),
    releaseId: integer("release_id").references(() => releases.id),
    rolloutId: integer("rollout_id").references(() => rollouts.id),
    /** Machine-made evidence: the failing gate's figures, the regression's series and test result. */
    evidence: jsonb("evidence"),
    /** A rollout blocked by this incident may go on once someone signs it off. */
    signedOffBy: integer("signed_off_by").references(() => users.id),
    signedOffName: text("signed_off_name"),
    signedOffAt: timestamp("signed_off_at", { withTimezone: true }),
    signOffReason: text("sign_off_reason"),
    /** How the fix was verified (required to resolve) and what was learned (required to close). */
    verification: text("verification"),
    lessonsLearned: text("lessons_learned"),
    openedBy: integer("opened_by").references(() => users.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [
    index("incidents_status_idx").on(t.status, t.id),
    index("incidents_rollout_idx").on(t.rolloutId),
    index("incidents_escalation_idx").on(t.escalationDueAt),
    uniqueIndex("incidents_open_source_key").on(t.sourceKey).where(sql`status in ('triage','contained') and source_key is not null`),
  ],
);

export const incidentDevices = pgTable(
  "incident_devices",
  {
    incidentId: integer("incident_id").notNull().references(() => incidents.id),
    deviceId: integer("device_id").notNull().references(() => devices.id),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.deviceId] }), index("incident_devices_device_idx").on(t.deviceId)],
);

// In-app notifications, one row per recipient.
export const notifications = pgTable(
  "notifications",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    userId: integer("user_id").notNull().references(() => users.id),
    title: text("title").notNull(),
    body: text("body").notNull(),
    href: text("href"),
    incidentId: integer("incident_id").references(() => incidents.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    readAt: timestamp("read_at", { withTimezone: true }),
  },
  (t) => [index("notifications_user_idx").on(t.userId, t.id)],
);

// Outgoing webhook events, written in the same transaction as their cause and delivered by a tick
// (an outbox: a crash never loses one, a slow receiver never blocks a write).
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    event: text("event").notNull(),
    payload: jsonb("payload").notNull(),
    delivered: boolean("delivered").notNull().default(false),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (t) => [index("webhook_deliveries_pending_idx").on(t.delivered, t.nextAttemptAt)],
);

export type Incident = typeof incidents.$inferSelect;
export type TelemetryHour = typeof telemetryHourly.$inferSelect;
