import type { Role } from "@/lib/domain";

// The one permission matrix. A permission not listed here is granted to nobody (deny by default).
// Devices and the system actor are authorised by their own transports, not by this matrix.
const MATRIX = {
  "devices.read": ["admin", "biomed", "security", "manager", "auditor"],
  "devices.update": ["admin", "biomed"],
  "devices.credentials": ["admin"],
  "deployments.assign": ["admin", "biomed"],
  "deployments.cancel": ["admin", "biomed"],
  "windows.manage": ["admin", "biomed"],
  // Release governance. Vendors work only on their own manufacturer's models (checked in the service).
  "releases.read": ["admin", "biomed", "security", "manager", "vendor", "auditor"],
  "releases.create": ["admin", "biomed", "vendor"],
  "releases.edit": ["admin", "biomed", "vendor"],
  "releases.verify": ["admin", "biomed", "security"],
  "releases.review": ["admin", "biomed"],
  "releases.evidence": ["admin", "biomed", "security"],
  // Each signature meaning needs its own permission (SIG-08).
  "releases.sign": ["admin", "biomed", "security"],
  "releases.withdraw": ["admin", "biomed"],
  "policies.manage": ["admin"],
  "vendor_keys.manage": ["admin"],
  "briefings.write": ["admin", "biomed", "vendor"],
  "briefings.acknowledge": ["clinician"],
  "briefings.report": ["clinician"],
  "acknowledgements.read": ["admin", "biomed", "manager", "auditor"],
  "rollouts.read": ["admin", "biomed", "security", "manager", "auditor"],
  // Creating, pausing, resuming, canceling, retrying and halting rollouts; a global freeze; blackout days.
  "rollouts.manage": ["admin", "biomed"],
  "freeze.manage": ["admin", "biomed"],
  // Everyone who uses the console sees a freeze while it is in force.
  "freeze.read": ["admin", "biomed", "security", "clinician", "manager", "vendor", "auditor"],
  "briefings.read": ["admin", "biomed", "clinician", "manager", "auditor"],
  "incidents.read": ["admin", "biomed", "security", "clinician", "manager", "auditor"],
  // Opening by hand, triage, owner, severity, status, linking devices and containment from an incident.
  "incidents.manage": ["admin", "biomed", "security"],
  // Signing off an incident that blocks a rollout's next wave (password re-entry).
  "incidents.signoff": ["admin", "biomed"],
  "notifications.read": ["admin", "biomed", "security", "clinician", "manager", "vendor", "auditor"],
  // Telemetry retention and the health-regression thresholds (Settings, like the approval policies).
  "health.configure": ["admin"],
  // Escalation deadlines and the outgoing webhook.
  "incidents.configure": ["admin"],
  "compliance.read": ["admin", "biomed", "security", "manager", "auditor"],
  "compliance.export": ["admin", "biomed", "security", "manager", "auditor"],
  // Requesting and signing a downgrade below devices' security floor (UPD-04); two different people.
  "downgrades.sign": ["admin", "biomed"],
  "audit.read": ["admin", "security", "auditor"],
  "audit.export": ["admin", "security", "auditor"],
  "users.read": ["admin"],
  "users.manage": ["admin"],
  "settings.read": ["admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof MATRIX;
export const PERMISSIONS = Object.keys(MATRIX) as Permission[];

export function can(role: Role | null | undefined, permission: Permission): boolean {
  if (!role) return false;
  const allowed: readonly Role[] | undefined = MATRIX[permission];
  return allowed?.includes(role) ?? false;
}

export function rolesWith(permission: Permission): readonly Role[] {
  return MATRIX[permission];
}
