import { z } from "zod";
import { CRITICALITIES, EVIDENCE_KINDS, EVIDENCE_OUTCOMES, ISSUE_SEVERITIES, RISK_CLASSES, ROLES } from "@/lib/domain";
import { can } from "@/lib/auth/permissions";
import { RowId } from "./ids";

// Forms send structured lists (known issues, compatibility notes) as JSON text in one field.
const jsonList = <T extends z.ZodType>(item: T, max: number, what: string) =>
  z.preprocess((v) => {
    if (typeof v !== "string") return v;
    if (v.trim() === "") return [];
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }, z.array(item, { error: `${what}: the list could not be read.` }).max(max, `${what}: at most ${max} entries.`));

const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean());
const text = (max: number, what: string) => z.string().trim().max(max, `${what}: at most ${max} characters.`);
const required = (max: number, what: string) => text(max, what).min(1, `${what} is required.`);

export const KnownIssueInput = z.object({
  severity: z.enum(ISSUE_SEVERITIES, { error: "Known issue: choose a severity." }),
  symptom: required(500, "Known issue symptom"),
  workaround: text(500, "Known issue workaround"),
});

export const CompatibilityNoteInput = z.object({
  system: required(120, "Compatibility: interfacing system or model"),
  requiredVersions: required(120, "Compatibility: required versions"),
  notes: text(500, "Compatibility notes"),
});

export const ReleaseVersion = z.string().trim().regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$/, "Version: use letters, digits, dots, dashes (e.g. 4.3.0).");

const releaseContent = {
  securityVersion: z.coerce.number({ error: "Security version must be a whole number." }).int("Security version must be a whole number.").min(0, "Security version cannot be negative.").max(1_000_000),
  hardwareRevisions: z
    .union([z.string(), z.array(z.string())])
    .transform((s) => [...new Set((Array.isArray(s) ? s : s.split(",")).map((x) => x.trim()).filter(Boolean))])
    .pipe(z.array(z.string().max(40)).min(1, "List at least one compatible hardware revision.").max(50)),
  riskClass: z.enum(RISK_CLASSES, { error: "Choose a risk class." }),
  changeLog: required(20_000, "Change log"),
  knownIssues: jsonList(KnownIssueInput, 50, "Known issues"),
  compatibility: jsonList(CompatibilityNoteInput, 50, "Compatibility notes"),
  privacyImpact: checkbox,
  privacyNote: text(2000, "Privacy note").optional(),
};

const privacyExplained = (r: { privacyImpact: boolean; privacyNote?: string }) => !r.privacyImpact || !!r.privacyNote;
const privacyMessage = { message: "Explain how data handling or consent changes (privacy note).", path: ["privacyNote"] };

export const CreateReleaseInput = z
  .object({ modelId: RowId("Choose a device model."), version: ReleaseVersion, ...releaseContent })
  .strict()
  .refine(privacyExplained, privacyMessage);

export const UpdateReleaseInput = z
  .object({ releaseId: RowId("Unknown release."), ...releaseContent })
  .strict()
  .refine(privacyExplained, privacyMessage);

export const ReleaseRef = z.object({ releaseId: RowId("Unknown release.") }).strict();

export const SignInput = z
  .object({
    releaseId: RowId("Unknown release."),
    meaning: z.enum(["reviewed", "approved", "rejected", "revoked"], { error: "Choose what your signature means." }),
    password: z.string().min(1, "Enter your password to sign.").max(256),
    reason: text(1000, "Reason").optional(),
    revokesId: RowId("Choose the signature to revoke.").optional(),
  })
  .strict()
  .refine((s) => s.meaning !== "rejected" || !!s.reason, { message: "Say why you reject this release.", path: ["reason"] })
  .refine((s) => s.meaning !== "revoked" || !!s.revokesId, { message: "Choose the signature to revoke.", path: ["revokesId"] });

export const RetireReleaseInput = z
  .object({
    releaseId: RowId("Unknown release."),
    password: z.string().min(1, "Enter your password to sign.").max(256),
    reason: required(1000, "Reason"),
  })
  .strict();

export const EvidenceInput = z
  .object({
    releaseId: RowId("Unknown release."),
    kind: z.enum(EVIDENCE_KINDS, { error: "Choose the kind of evidence." }),
    outcome: z.enum(EVIDENCE_OUTCOMES, { error: "Choose the outcome." }),
    acceptanceCriteria: required(4000, "Acceptance criteria"),
    summary: required(8000, "Result summary"),
  })
  .strict();

export const PolicyInput = z
  .object({
    criticality: z.enum(CRITICALITIES),
    riskClass: z.enum(RISK_CLASSES),
    // Only roles that hold the signing permission can be required, or the policy could never be met.
    requiredRoles: z.array(z.enum(ROLES).refine((r) => can(r, "releases.sign"), "Only roles allowed to sign releases can be required.")).min(1, "Choose at least one role that must sign."),
    minSigners: z.coerce.number().int().min(1, "At least one person must sign.").max(10, "At most 10 signers."),
    requiredEvidence: z.array(z.enum(EVIDENCE_KINDS)),
    maxIssueSeverity: z.enum(ISSUE_SEVERITIES),
  })
  .strict()
  .refine((p) => p.minSigners >= p.requiredRoles.length, { message: "Each required role needs its own signer, so raise the number of signers.", path: ["minSigners"] });

export const VendorKeyInput = z
  .object({
    manufacturerId: RowId("Choose a manufacturer."),
    label: required(120, "Label"),
    pem: required(20_000, "Certificate or public key"),
  })
  .strict();

export const BriefingInput = z
  .object({
    releaseId: RowId("Unknown release."),
    bedsideChanges: required(4000, "What changes at the bedside"),
    alarmsAndScreens: required(4000, "Alarms or screens that differ"),
    staffActions: required(4000, "What staff must do"),
    howToReport: required(2000, "How to report a problem"),
    patientGuidance: required(4000, "Guidance for patients and caregivers"),
  })
  .strict();

export const AcknowledgeInput = z.object({ releaseId: RowId("Unknown release."), unitId: RowId("Choose your unit.") }).strict();

export const ProblemReportInput = z
  .object({
    releaseId: RowId("Unknown release."),
    unitId: RowId("Choose your unit."),
    deviceSerial: text(64, "Device serial").optional(),
    description: required(4000, "What you saw"),
    patientHarm: checkbox,
  })
  .strict();

export const ReleaseFilterInput = z
  .object({
    modelId: RowId("Unknown model.").optional(),
    state: z.enum(["draft", "submitted", "verified", "in_review", "approved", "rejected", "withdrawn", "recalled"]).optional(),
    riskClass: z.enum(RISK_CLASSES).optional(),
  })
  .strict();
