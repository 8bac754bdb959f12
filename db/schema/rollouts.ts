import { sql } from "drizzle-orm";
import { boolean, date, index, integer, jsonb, pgEnum, pgTable, primaryKey, real, text, timestamp } from "drizzle-orm/pg-core";
import { ROLLOUT_STATES, WAVE_KINDS, WAVE_STATES } from "@/lib/domain";
import { users } from "./auth";
import { devices, sites, units } from "./inventory";
import { deploymentActions, releases } from "./protocol";

export const rolloutState = pgEnum("rollout_state", ROLLOUT_STATES);
export const waveKind = pgEnum("wave_kind", WAVE_KINDS);
export const waveState = pgEnum("wave_state", WAVE_STATES);

/** One gate's verdict, as last evaluated by the engine. */
export type GateResult = { gate: string; ok: boolean; detail: string };

// A staged rollout of one approved release to a chosen set of devices, in waves.
export const rollouts = pgTable(
  "rollouts",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    releaseId: integer("release_id").notNull().references(() => releases.id),
    name: text("name").notNull(),
    state: rolloutState("state").notNull().default("running"),
    stateReason: text("state_reason"),
    /** What the wizard was asked for (models, units, versions …), for the record. */
    targetFilter: jsonb("target_filter").notNull(),
    /** How many of its devices may be downloading or installing at once (the rate limit). */
    maxConcurrent: integer("max_concurrent").notNull().default(50),
    /** Set on the rollout a signed downgrade exception created: its devices may go below their floor. */
    downgradeExceptionId: integer("downgrade_exception_id"),
    /** When the engine last compared updated with not-yet-updated devices' health (it does so every few minutes). */
    healthCheckedAt: timestamp("health_checked_at", { withTimezone: true }),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("rollouts_state_idx").on(t.state, t.id)],
);

export const rolloutWaves = pgTable(
  "rollout_waves",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    rolloutId: integer("rollout_id").notNull().references(() => rollouts.id),
    position: integer("position").notNull(),
    name: text("name").notNull(),
    kind: waveKind("kind").notNull(),
    state: waveState("state").notNull().default("pending"),
    minSuccessPct: real("min_success_pct").notNull(),
    maxFailurePct: real("max_failure_pct").notNull(),
    minSample: integer("min_sample").notNull(),
    soakMinutes: integer("soak_minutes").notNull(),
    requireAcknowledgement: boolean("require_acknowledgement").notNull(),
    requireGoAhead: boolean("require_go_ahead").notNull(),
    goAheadBy: integer("go_ahead_by").references(() => users.id),
    goAheadName: text("go_ahead_name"),
    goAheadAt: timestamp("go_ahead_at", { withTimezone: true }),
    gates: jsonb("gates").$type<GateResult[]>().notNull().default([]),
    startedAt: timestamp("started_at", { withTimezone: true }),
    completedAt: timestamp("completed_at", { withTimezone: true }),
  },
  (t) => [index("rollout_waves_rollout_idx").on(t.rolloutId, t.position)],
);

// Which wave each chosen device belongs to. Its deployment action exists once its wave has started.
export const rolloutDevices = pgTable(
  "rollout_devices",
  {
    rolloutId: integer("rollout_id").notNull().references(() => rollouts.id),
    deviceId: integer("device_id").notNull().references(() => devices.id),
    waveId: integer("wave_id").notNull().references(() => rolloutWaves.id),
    actionId: integer("action_id").references(() => deploymentActions.id),
    /** Why the device was not targeted when its wave started (e.g. it already had an open update). */
    skippedReason: text("skipped_reason"),
  },
  (t) => [primaryKey({ columns: [t.rolloutId, t.deviceId] }), index("rollout_devices_wave_idx").on(t.waveId)],
);

// A global freeze stops every offer at once while it lasts. Ended, never deleted.
export const freezes = pgTable(
  "freezes",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    reason: text("reason").notNull(),
    startedBy: integer("started_by").references(() => users.id),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    endedBy: integer("ended_by").references(() => users.id),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [index("freezes_active_idx").on(t.id).where(sql`ended_at IS NULL`)],
);

// Days on which nothing installs: for one unit, a whole site, or everywhere (both null).
export const blackouts = pgTable("blackouts", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  unitId: integer("unit_id").references(() => units.id),
  siteId: integer("site_id").references(() => sites.id),
  /** Local calendar days, inclusive, in the unit's time zone. */
  startsOn: date("starts_on").notNull(),
  endsOn: date("ends_on").notNull(),
  reason: text("reason").notNull(),
  createdBy: integer("created_by").references(() => users.id),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export type Rollout = typeof rollouts.$inferSelect;
export type RolloutWave = typeof rolloutWaves.$inferSelect;

// Taking devices below their security floor (UPD-04): a request with a safety reason, executed only when
// two different people have signed it; it then issues the older image with a higher counter.
export const downgradeExceptions = pgTable("downgrade_exceptions", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  rolloutId: integer("rollout_id").notNull().references(() => rollouts.id),
  releaseId: integer("release_id").notNull().references(() => releases.id),
  deviceIds: integer("device_ids").array().notNull(),
  safetyReason: text("safety_reason").notNull(),
  state: text("state", { enum: ["pending", "executed"] }).notNull().default("pending"),
  requestedBy: integer("requested_by").notNull().references(() => users.id),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  executedRolloutId: integer("executed_rollout_id").references(() => rollouts.id),
});

export const downgradeSignatures = pgTable(
  "downgrade_signatures",
  {
    exceptionId: integer("exception_id").notNull().references(() => downgradeExceptions.id),
    userId: integer("user_id").notNull().references(() => users.id),
    printedName: text("printed_name").notNull(),
    role: text("role").notNull(),
    signedAt: timestamp("signed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.exceptionId, t.userId] })],
);
