import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, real, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { EVIDENCE_KINDS, EVIDENCE_OUTCOMES, ISSUE_SEVERITIES, SIGNATURE_MEANINGS } from "@/lib/domain";
import { role, users } from "./auth";
import { criticality, manufacturers, units } from "./inventory";
import { releases, riskClass } from "./protocol";

export const evidenceKind = pgEnum("evidence_kind", EVIDENCE_KINDS);
export const evidenceOutcome = pgEnum("evidence_outcome", EVIDENCE_OUTCOMES);
export const signatureMeaning = pgEnum("signature_meaning", SIGNATURE_MEANINGS);
export const issueSeverity = pgEnum("issue_severity", ISSUE_SEVERITIES);

// A manufacturer's signing key, pinned by an administrator: an X.509 certificate (CMS signatures) or a raw
// Ed25519 public key. Keys are retired, never deleted, so old verifications stay explainable.
export const vendorKeys = pgTable(
  "vendor_keys",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    manufacturerId: integer("manufacturer_id").notNull().references(() => manufacturers.id),
    kind: text("kind").$type<"x509" | "ed25519">().notNull(),
    label: text("label").notNull(),
    pem: text("pem").notNull(),
    fingerprintSha256: text("fingerprint_sha256").notNull(),
    subject: text("subject").notNull(),
    notAfter: timestamp("not_after", { withTimezone: true }),
    addedBy: integer("added_by").references(() => users.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    retiredAt: timestamp("retired_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("vendor_keys_manufacturer_fingerprint_key").on(t.manufacturerId, t.fingerprintSha256)],
);

// A package whose vendor signature did not verify. Its bytes sit in the quarantine folder, never in
// `artifacts`, so nothing can serve them (UPD-01).
export const quarantinedPackages = pgTable("quarantined_packages", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  releaseId: integer("release_id").references(() => releases.id),
  filename: text("filename").notNull(),
  sha256: text("sha256").notNull(),
  size: integer("size").notNull(),
  reason: text("reason").notNull(),
  uploadedBy: integer("uploaded_by").references(() => users.id),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

// Every SBOM ever attached, immutable; the release points at its current one.
export const releaseSboms = pgTable("release_sboms", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  releaseId: integer("release_id").notNull().references(() => releases.id),
  sha256: text("sha256").notNull(),
  filename: text("filename").notNull(),
  document: jsonb("document").notNull(),
  /** The analysis (schema, NTIA minimum elements, components) as SbomReport. */
  report: jsonb("report").notNull(),
  uploadedBy: integer("uploaded_by").references(() => users.id),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const releaseEvidence = pgTable(
  "release_evidence",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    releaseId: integer("release_id").notNull().references(() => releases.id),
    kind: evidenceKind("kind").notNull(),
    outcome: evidenceOutcome("outcome").notNull(),
    acceptanceCriteria: text("acceptance_criteria").notNull(),
    summary: text("summary").notNull(),
    attachmentName: text("attachment_name"),
    attachmentSha256: text("attachment_sha256"),
    attachmentSize: integer("attachment_size"),
    authorId: integer("author_id").notNull().references(() => users.id),
    authorName: text("author_name").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("release_evidence_release_idx").on(t.releaseId, t.id)],
);

// Electronic signatures (21 CFR 11.50/11.70). Append-only and bound to the release's content hash: the
// triggers in migration 0004 set the time from the database clock, refuse a hash that is not the
// release's current one, and refuse UPDATE and DELETE.
export const releaseSignatures = pgTable(
  "release_signatures",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    releaseId: integer("release_id").notNull().references(() => releases.id),
    userId: integer("user_id").notNull().references(() => users.id),
    printedName: text("printed_name").notNull(),
    role: role("role").notNull(),
    meaning: signatureMeaning("meaning").notNull(),
    reason: text("reason"),
    contentHash: text("content_hash").notNull(),
    /** For `revoked`: the signature this one revokes. */
    revokesId: integer("revokes_id"),
    signedAt: timestamp("signed_at", { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
  },
  (t) => [index("release_signatures_release_idx").on(t.releaseId, t.id)],
);

// Who must approve what. One row per device criticality × release risk class; a missing row means the
// built-in default (lib/services/releases/policies.ts).
export const approvalPolicies = pgTable(
  "approval_policies",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    criticality: criticality("criticality").notNull(),
    riskClass: riskClass("risk_class").notNull(),
    requiredRoles: role("required_roles").array().notNull(),
    minSigners: integer("min_signers").notNull(),
    requiredEvidence: evidenceKind("required_evidence").array().notNull(),
    maxIssueSeverity: issueSeverity("max_issue_severity").notNull(),
    updatedBy: integer("updated_by").references(() => users.id),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("approval_policies_key").on(t.criticality, t.riskClass)],
);

// The clinician briefing written with a release. Part of the release's signed content.
export const releaseBriefings = pgTable("release_briefings", {
  releaseId: integer("release_id").primaryKey().references(() => releases.id),
  bedsideChanges: text("bedside_changes").notNull(),
  alarmsAndScreens: text("alarms_and_screens").notNull(),
  staffActions: text("staff_actions").notNull(),
  howToReport: text("how_to_report").notNull(),
  patientGuidance: text("patient_guidance").notNull(),
  readingGrade: real("reading_grade").notNull(),
  /** SHA-256 of the briefing text; an acknowledgement of an older text no longer counts. */
  textHash: text("text_hash").notNull(),
  updatedBy: integer("updated_by").references(() => users.id),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

// The units a clinician works in: they see and acknowledge briefings for these units.
export const userUnits = pgTable(
  "user_units",
  {
    userId: integer("user_id").notNull().references(() => users.id),
    unitId: integer("unit_id").notNull().references(() => units.id),
  },
  (t) => [primaryKey({ columns: [t.userId, t.unitId] }), index("user_units_unit_idx").on(t.unitId)],
);

// Stored per release, unit and person: the rollout gate asks "has this unit acknowledged?".
export const briefingAcknowledgements = pgTable(
  "briefing_acknowledgements",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    releaseId: integer("release_id").notNull().references(() => releases.id),
    unitId: integer("unit_id").notNull().references(() => units.id),
    userId: integer("user_id").notNull().references(() => users.id),
    printedName: text("printed_name").notNull(),
    textHash: text("text_hash").notNull(),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("briefing_acknowledgements_key").on(t.releaseId, t.unitId, t.userId, t.textHash),
    index("briefing_acknowledgements_unit_idx").on(t.unitId, t.releaseId),
  ],
);

// "I saw a problem after this update" from the bedside.
export const problemReports = pgTable(
  "problem_reports",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    releaseId: integer("release_id").notNull().references(() => releases.id),
    unitId: integer("unit_id").notNull().references(() => units.id),
    userId: integer("user_id").notNull().references(() => users.id),
    deviceSerial: text("device_serial"),
    description: text("description").notNull(),
    patientHarm: boolean("patient_harm").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("problem_reports_release_idx").on(t.releaseId, t.id)],
);

export type VendorKey = typeof vendorKeys.$inferSelect;
export type ReleaseSignature = typeof releaseSignatures.$inferSelect;
export type ReleaseEvidence = typeof releaseEvidence.$inferSelect;
export type ApprovalPolicy = typeof approvalPolicies.$inferSelect;
export type ReleaseBriefing = typeof releaseBriefings.$inferSelect;
