// Vocabulary shared by the database schema, services and client components.
// Kept free of any database import so client components can use it.

export const ROLES = ["admin", "biomed", "security", "clinician", "manager", "vendor", "auditor"] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: "Administrator",
  biomed: "Biomedical engineer",
  security: "IT security",
  clinician: "Clinician",
  manager: "Manager",
  vendor: "Vendor",
  auditor: "Auditor",
};

export const DEVICE_STATUSES = ["active", "offline", "maintenance", "quarantined", "retired"] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

export const DEVICE_STATUS_LABELS: Record<DeviceStatus, string> = {
  active: "Active",
  offline: "Offline",
  maintenance: "In maintenance",
  quarantined: "Quarantined",
  retired: "Retired",
};

export const CRITICALITIES = ["life_sustaining", "life_supporting", "other"] as const;
export type Criticality = (typeof CRITICALITIES)[number];

export const CRITICALITY_LABELS: Record<Criticality, string> = {
  life_sustaining: "Life-sustaining",
  life_supporting: "Life-supporting",
  other: "Other",
};

export const DEVICE_CLASSES = ["I", "II", "III"] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

export const UNIT_KINDS = ["icu", "nicu", "ed", "or", "ward", "lab", "imaging"] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

export const NETWORK_KINDS = ["wifi", "ethernet", "cellular", "none"] as const;
export type NetworkKind = (typeof NETWORK_KINDS)[number];

export const RELEASE_STATES = ["draft", "submitted", "verified", "in_review", "approved", "rejected", "withdrawn", "recalled"] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];

// A device's part in an update, as driven by DDI feedback.
export const ACTION_STATES = [
  "scheduled", "downloading", "downloaded", "installing", "installed_awaiting_confirmation",
  "cancel_requested", "succeeded", "failed", "canceled", "rolled_back",
] as const;
export type ActionState = (typeof ACTION_STATES)[number];
export const OPEN_ACTION_STATES = ACTION_STATES.slice(0, 6) as readonly ActionState[];

export const ACTION_STATE_LABELS: Record<ActionState, string> = {
  scheduled: "Scheduled",
  downloading: "Downloading",
  downloaded: "Downloaded",
  installing: "Installing",
  installed_awaiting_confirmation: "Installed, awaiting confirmation",
  cancel_requested: "Cancel requested",
  succeeded: "Succeeded",
  failed: "Failed",
  canceled: "Canceled",
  rolled_back: "Rolled back",
};

export const RELEASE_STATE_LABELS: Record<ReleaseState, string> = {
  draft: "Draft",
  submitted: "Submitted",
  verified: "Verified",
  in_review: "In review",
  approved: "Approved",
  rejected: "Rejected",
  withdrawn: "Withdrawn",
  recalled: "Recalled",
};

export const RISK_CLASSES = ["routine", "security", "safety_critical", "recall_remediation"] as const;
export type RiskClass = (typeof RISK_CLASSES)[number];

export const RISK_CLASS_LABELS: Record<RiskClass, string> = {
  routine: "Routine",
  security: "Security",
  safety_critical: "Safety-critical",
  recall_remediation: "Recall remediation",
};

/** Ordered from least to most severe; policies cap the worst acceptable known issue by index. */
export const ISSUE_SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type IssueSeverity = (typeof ISSUE_SEVERITIES)[number];

export const EVIDENCE_KINDS = ["functional", "security", "clinical_validation", "lab_sandbox"] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export const EVIDENCE_KIND_LABELS: Record<EvidenceKind, string> = {
  functional: "Functional test",
  security: "Security test",
  clinical_validation: "Clinical validation",
  lab_sandbox: "Lab / sandbox trial",
};

export const EVIDENCE_OUTCOMES = ["passed", "failed", "inconclusive"] as const;
export type EvidenceOutcome = (typeof EVIDENCE_OUTCOMES)[number];

// What a person means by an electronic signature (21 CFR 11.50). Withdrawing and recalling are signed
// decisions too, so they are meanings of their own.
export const SIGNATURE_MEANINGS = ["reviewed", "approved", "rejected", "revoked", "withdrawn", "recalled"] as const;
export type SignatureMeaning = (typeof SIGNATURE_MEANINGS)[number];

export const SIGNATURE_MEANING_LABELS: Record<SignatureMeaning, string> = {
  reviewed: "Reviewed",
  approved: "Approved for release",
  rejected: "Rejected",
  revoked: "Revoked an earlier signature",
  withdrawn: "Withdrawn from use",
  recalled: "Recalled",
};

export const ROLLOUT_STATES = ["running", "paused", "halted", "completed", "canceled"] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export const ROLLOUT_STATE_LABELS: Record<RolloutState, string> = {
  running: "Running",
  paused: "Paused",
  halted: "Halted",
  completed: "Completed",
  canceled: "Canceled",
};

/** Lab devices (sandbox) first, then pilot units, then the general fleet in one or more waves. */
export const WAVE_KINDS = ["lab", "pilot", "general"] as const;
export type WaveKind = (typeof WAVE_KINDS)[number];

export const WAVE_STATES = ["pending", "active", "completed", "canceled"] as const;
export type WaveState = (typeof WAVE_STATES)[number];

/** Where an incident came from: the engine, a device, a clinician, or a person by hand. */
export const INCIDENT_SOURCES = [
  "failure_rate", "health_regression", "device_verification", "credential_abuse", "security_event", "device_malfunction", "problem_report", "manual",
] as const;
export type IncidentSource = (typeof INCIDENT_SOURCES)[number];

export const INCIDENT_SOURCE_LABELS: Record<IncidentSource, string> = {
  failure_rate: "Update failure rate",
  health_regression: "Health regression",
  device_verification: "Device refused a package",
  credential_abuse: "Device credential abuse",
  security_event: "Device security event",
  device_malfunction: "Device malfunction",
  problem_report: "Clinician problem report",
  manual: "Opened by hand",
};

export const INCIDENT_SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

/** triage → contained → resolved → lessons_learned (closed). */
export const INCIDENT_STATUSES = ["triage", "contained", "resolved", "lessons_learned"] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const INCIDENT_STATUS_LABELS: Record<IncidentStatus, string> = {
  triage: "Triage",
  contained: "Contained",
  resolved: "Resolved",
  lessons_learned: "Lessons learned (closed)",
};

/** Health metrics compared between updated and not-yet-updated devices. */
export const HEALTH_METRICS = ["alarm_rate", "reboots", "sensor_drift", "power_draw", "battery_drain", "error_codes"] as const;
export type HealthMetric = (typeof HEALTH_METRICS)[number];

export const HEALTH_METRIC_LABELS: Record<HealthMetric, string> = {
  alarm_rate: "Alarms per hour",
  reboots: "Reboots per hour",
  sensor_drift: "Sensor drift (absolute)",
  power_draw: "Power draw (W)",
  battery_drain: "Battery drain (% per hour)",
  error_codes: "Error codes per hour",
};

/** Where a device stands against its model's end-of-support date (ROL-12). */
export const EOS_STATES = ["past_eos", "eos_within_90d", "eos_within_12m", "supported", "eos_unknown"] as const;
export type EosState = (typeof EOS_STATES)[number];

export const EOS_STATE_LABELS: Record<EosState, string> = {
  past_eos: "Past end of support",
  eos_within_90d: "Ends within 90 days",
  eos_within_12m: "Ends within 12 months",
  supported: "Supported beyond 12 months",
  eos_unknown: "No end-of-support date",
};
