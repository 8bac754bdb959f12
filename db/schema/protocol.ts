import { sql } from "drizzle-orm";
import {
  bigint, boolean, check, index, integer, jsonb, pgEnum, pgTable, real, text, timestamp, uniqueIndex,
} from "drizzle-orm/pg-core";
import { ACTION_STATES, RELEASE_STATES, RISK_CLASSES, type IssueSeverity } from "@/lib/domain";
import { users } from "./auth";
import { deviceModels, devices, sites, units } from "./inventory";

export const releaseState = pgEnum("release_state", RELEASE_STATES);
export const actionState = pgEnum("action_state", ACTION_STATES);
export const riskClass = pgEnum("risk_class", RISK_CLASSES);

export type KnownIssue = { severity: IssueSeverity; symptom: string; workaround: string };
export type CompatibilityNote = { system: string; requiredVersions: string; notes: string };
/** Who signed the vendor package, as established at intake. */
export type PackageSigner = { method: "swu-cms" | "cms" | "ed25519"; subject: string; fingerprintSha256: string; keyId: number | null };

// Per-device DDI target token. Only a SHA-256 of the token is stored: the token is 256 random bits,
// so a fast hash is enough and lets the hot poll path look it up by index (ACC-10).
export const deviceCredentials = pgTable("device_credentials", {
  deviceId: integer("device_id").primaryKey().references(() => devices.id),
  tokenHash: text("token_hash").notNull().unique(),
  tokenHint: text("token_hint").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

// What a device says about itself (DDI configData, clinical-use reports), kept apart from the
// operator's inventory record.
export const deviceReports = pgTable("device_reports", {
  deviceId: integer("device_id").primaryKey().references(() => devices.id),
  attributes: jsonb("attributes").$type<Record<string, string>>().notNull().default({}),
  attributesAt: timestamp("attributes_at", { withTimezone: true }),
  inClinicalUse: boolean("in_clinical_use"),
  clinicalUseAt: timestamp("clinical_use_at", { withTimezone: true }),
});

// Content-addressed files: the sha256 is the storage key, so the same bytes are stored once.
export const artifacts = pgTable("artifacts", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  sha256: text("sha256").notNull().unique(),
  sha1: text("sha1").notNull(),
  md5: text("md5").notNull(),
  size: bigint("size", { mode: "number" }).notNull(),
  contentType: text("content_type").notNull().default("application/octet-stream"),
  uploadedBy: integer("uploaded_by").references(() => users.id),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

// A firmware version of one model and its governance record. `contentHash` is the SHA-256 of the
// release's canonical content (lib/services/releases/content.ts); electronic signatures bind to it, and
// the database refuses a signature whose hash differs (SIG-02). The package (artifact) arrives after the
// draft is created and only once its vendor signature has verified, so it is null in early drafts.
export const releases = pgTable(
  "releases",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    modelId: integer("model_id").notNull().references(() => deviceModels.id),
    version: text("version").notNull(),
    securityVersion: integer("security_version").notNull(),
    hardwareRevisions: text("hardware_revisions").array().notNull(),
    artifactId: integer("artifact_id").references(() => artifacts.id),
    filename: text("filename"),
    packageSigner: jsonb("package_signer").$type<PackageSigner>(),
    state: releaseState("state").notNull().default("draft"),
    riskClass: riskClass("risk_class").notNull().default("routine"),
    changeLog: text("change_log").notNull().default(""),
    knownIssues: jsonb("known_issues").$type<KnownIssue[]>().notNull().default([]),
    compatibility: jsonb("compatibility").$type<CompatibilityNote[]>().notNull().default([]),
    privacyImpact: boolean("privacy_impact").notNull().default(false),
    privacyNote: text("privacy_note"),
    sbomId: integer("sbom_id"),
    contentHash: text("content_hash").notNull().default(""),
    createdBy: integer("created_by").references(() => users.id),
    submittedBy: integer("submitted_by").references(() => users.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    stateChangedAt: timestamp("state_changed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("releases_model_version_key").on(t.modelId, t.version),
    index("releases_state_idx").on(t.state, t.id),
  ],
);

// One device's part in an update. Ids are 32-bit because SWUpdate parses them as int32.
export const deploymentActions = pgTable(
  "deployment_actions",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    deviceId: integer("device_id").notNull().references(() => devices.id),
    releaseId: integer("release_id").notNull().references(() => releases.id),
    state: actionState("state").notNull().default("scheduled"),
    cancelRequestedAt: timestamp("cancel_requested_at", { withTimezone: true }),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    lastFeedbackAt: timestamp("last_feedback_at", { withTimezone: true }),
    feedbackCount: integer("feedback_count").notNull().default(0),
    /** The version the device ran before; a report of it after install means it rolled back. */
    previousVersion: text("previous_version").notNull(),
    failureReason: text("failure_reason"),
    /** Set when the action belongs to a rollout wave; manual single-device assignments have neither. */
    rolloutId: integer("rollout_id"),
    waveId: integer("wave_id"),
    /**
     * The anti-rollback counter the signed manifest carries. Normally the release's security version; an
     * authorised downgrade issues the older image with a counter above the device's floor (UPD-04).
     */
    securityCounter: integer("security_counter"),
  },
  (t) => [
    // At most one unfinished action per device.
    uniqueIndex("deployment_actions_one_open_key")
      .on(t.deviceId)
      .where(sql`state in ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested')`),
    index("deployment_actions_device_idx").on(t.deviceId, t.id),
    index("deployment_actions_release_idx").on(t.releaseId, t.state),
    index("deployment_actions_rollout_idx").on(t.rolloutId, t.state).where(sql`rollout_id IS NOT NULL`),
    index("deployment_actions_wave_idx").on(t.waveId, t.state).where(sql`wave_id IS NOT NULL`),
  ],
);

// Every feedback message as received (bounded per action by the service).
export const actionFeedback = pgTable(
  "action_feedback",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    actionId: integer("action_id").notNull().references(() => deploymentActions.id),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    kind: text("kind").notNull(), // deployment | cancel
    execution: text("execution").notNull(),
    finished: text("finished"),
    details: jsonb("details").$type<string[]>().notNull().default([]),
    invalidJson: boolean("invalid_json").notNull().default(false),
  },
  (t) => [index("action_feedback_action_idx").on(t.actionId, t.id)],
);

// When devices may install: an RFC 5545 RRULE evaluated in the unit's time zone. A window belongs to a
// unit or to a whole site, optionally narrowed to one model; a device follows the most specific set
// that has any window (unit + model, unit, site + model, site).
export const maintenanceWindows = pgTable(
  "maintenance_windows",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    unitId: integer("unit_id").references(() => units.id),
    siteId: integer("site_id").references(() => sites.id),
    modelId: integer("model_id").references(() => deviceModels.id),
    rrule: text("rrule").notNull(),
    /** Local wall-clock start, "HH:MM". */
    startsAt: text("starts_at").notNull(),
    durationMinutes: integer("duration_minutes").notNull(),
    label: text("label"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("maintenance_windows_unit_idx").on(t.unitId),
    index("maintenance_windows_site_idx").on(t.siteId),
    check("maintenance_windows_one_scope", sql`(unit_id IS NULL) <> (site_id IS NULL)`),
  ],
);

// Raw health samples from devices: append-only, time-ordered (BRIN), never on the audited path.
export const telemetrySamples = pgTable(
  "telemetry_samples",
  {
    deviceId: integer("device_id").notNull(),
    takenAt: timestamp("taken_at", { withTimezone: true }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    batteryPct: real("battery_pct"),
    sensorDrift: real("sensor_drift"),
    powerDrawW: real("power_draw_w"),
    alarmCount: integer("alarm_count"),
    reboots: integer("reboots"),
    errorCodes: text("error_codes").array(),
    inClinicalUse: boolean("in_clinical_use"),
    firmwareVersion: text("firmware_version"),
  },
  (t) => [
    index("telemetry_samples_taken_brin").using("brin", t.takenAt),
    index("telemetry_samples_device_idx").on(t.deviceId, t.takenAt),
  ],
);

// Server signing keys (Ed25519 for deployment manifests), created on first use when none is configured.
export const serverKeys = pgTable("server_keys", {
  purpose: text("purpose").primaryKey(),
  publicKeyPem: text("public_key_pem").notNull(),
  privateKeyPem: text("private_key_pem").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export type Release = typeof releases.$inferSelect;
export type Artifact = typeof artifacts.$inferSelect;
export type DeploymentAction = typeof deploymentActions.$inferSelect;
