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
  /** A global freeze is in force. */
  freezeActive: boolean;
  /** Blackout days for the device's unit (its own, its site's and hospital-wide), local dates inclusive. */
  blackouts: readonly { startsOn: string; endsOn: string }[];
  /** For an update that is part of a rollout: whether the rollout runs and the device's wave is active. Null for a manual assignment. */
  rollout: { running: boolean; waveActive: boolean } | null;
  /** The rollout's limit on devices updating at once is reached, and this device has not started yet. */
  rateLimited: boolean;
};

export type Blocker =
  | "freeze_active"
  | "rollout_not_running"
  | "wave_not_active"
  | "rate_limited"
  | "blackout_day"
  | "device_not_active"
  | "in_clinical_use"
  | "clinical_use_unknown"
  | "no_window_defined"
  | "outside_window";

export const BLOCKER_LABELS: Record<Blocker, string> = {
  freeze_active: "a global freeze stops every update",
  rollout_not_running: "its rollout is paused, halted or over",
  wave_not_active: "its rollout wave has not started",
  rate_limited: "its rollout already has as many devices updating as it allows at once",
  blackout_day: "today is a blackout day for its unit",
  device_not_active: "the device is not active (quarantined, retired, offline or in maintenance)",
  in_clinical_use: "the device reports that it is in use on a patient",
  clinical_use_unknown: "the device has not recently reported that it is free of patient use",
  no_window_defined: "its unit has no maintenance window",
  outside_window: "its unit's maintenance window is closed",
};

export function installBlockers(f: GateFacts): Blocker[] {
  const blockers: Blocker[] = [];
  if (f.freezeActive) blockers.push("freeze_active");
  if (f.rollout && !f.rollout.running) blockers.push("rollout_not_running");
  else if (f.rollout && !f.rollout.waveActive) blockers.push("wave_not_active");
  if (f.rateLimited) blockers.push("rate_limited");
  if (f.deviceStatus !== "active") blockers.push("device_not_active");
  if (f.inClinicalUse === true) blockers.push("in_clinical_use");
  else if (f.inClinicalUse !== false || !f.clinicalUseAt || f.now.getTime() - f.clinicalUseAt.getTime() > f.clinicalUseMaxAgeMs) {
    blockers.push("clinical_use_unknown");
  }
  if (f.windows.length === 0) blockers.push("no_window_defined");
  else if (!isWindowOpen(f.windows, f.unitTimeZone, f.now)) blockers.push("outside_window");
  const today = localDate(f.now, f.unitTimeZone);
  if (f.blackouts.some((b) => b.startsOn <= today && today <= b.endsOn)) blockers.push("blackout_day");
  return blockers;
}

/** The calendar day (YYYY-MM-DD) at `at` in an IANA time zone. */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}
