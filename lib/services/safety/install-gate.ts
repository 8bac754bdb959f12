import type { DeviceStatus } from "@/lib/domain";
import { isWindowOpen, type WindowRule } from "./windows";

// THE rule that nothing may break: a device may start (or continue) an install only when every check
// here passes. The protocol layer asks it on every poll before offering a deployment, and so will the
// rollout engine. There is deliberately no parameter that skips a check.

export type GateFacts = {
  now: Date;
  deviceStatus: DeviceStatus;
  /** The device's latest clinical-use report, and when it came. */
  inClinicalUse: boolean | null;
  clinicalUseAt: Date | null;
  unitTimeZone: string;
  windows: readonly WindowRule[];
  /** How old a "not in use" report may be before it no longer counts. */
  clinicalUseMaxAgeMs: number;
};

export type Blocker =
  | "device_not_active"
  | "in_clinical_use"
  | "clinical_use_unknown"
  | "no_window_defined"
  | "outside_window";

export const BLOCKER_LABELS: Record<Blocker, string> = {
  device_not_active: "the device is not active (quarantined, retired, offline or in maintenance)",
  in_clinical_use: "the device reports that it is in use on a patient",
  clinical_use_unknown: "the device has not recently reported that it is free of patient use",
  no_window_defined: "its unit has no maintenance window",
  outside_window: "its unit's maintenance window is closed",
};

export function installBlockers(f: GateFacts): Blocker[] {
  const blockers: Blocker[] = [];
  if (f.deviceStatus !== "active") blockers.push("device_not_active");
  if (f.inClinicalUse === true) blockers.push("in_clinical_use");
  else if (f.inClinicalUse !== false || !f.clinicalUseAt || f.now.getTime() - f.clinicalUseAt.getTime() > f.clinicalUseMaxAgeMs) {
    blockers.push("clinical_use_unknown");
  }
  if (f.windows.length === 0) blockers.push("no_window_defined");
  else if (!isWindowOpen(f.windows, f.unitTimeZone, f.now)) blockers.push("outside_window");
  return blockers;
}
