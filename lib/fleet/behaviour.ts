import type { ModelProfile } from "./profiles";
import type { Rng } from "@/lib/random";

// How a simulated device behaves between requests: when it is in clinical use, how long an install
// takes, whether it fails. Pure functions of a random stream, so they are unit-tested.

/** Shortest in-use or idle spell, so a state is always reported at least once. */
export const MIN_DWELL_S = 5;

/** Whether a device starts out in use: with probability `pInUse`. */
export const initialInUse = (pInUse: number, rng: Rng) => rng.chance(pInUse);

/**
 * Seconds until the device next changes between in use and idle: an alternating renewal process with
 * exponential spells whose means split `cycleS` in the ratio pInUse : 1 − pInUse, so over time the device
 * is in use a share pInUse of the time. Null: the device never changes (pInUse 0 while idle, 1 while in use).
 */
export function nextDwellS(inUse: boolean, pInUse: number, cycleS: number, rng: Rng): number | null {
  const p = Math.max(0, Math.min(1, pInUse));
  const mean = (inUse ? p : 1 - p) * cycleS;
  if (inUse ? p >= 1 : p <= 0) return null; // the state it should always be in
  if (mean <= 0) return MIN_DWELL_S; // a state it should never be in: leave at once
  return Math.max(MIN_DWELL_S, rng.exponential(mean));
}

export type InstallPlan =
  | { ok: true; durationMs: number; rebootMs: number }
  | { ok: false; durationMs: number; line: string };

/**
 * One install attempt: its duration (the model's typical time ±20 %, log-normal, times `timeScale`)
 * and whether it fails (probability `failP`); a failure strikes part-way through, with one of the
 * model's failure lines.
 */
export function planInstall(profile: ModelProfile, failP: number, timeScale: number, rng: Rng): InstallPlan {
  const full = Math.max(200, profile.installMinutes * 60_000 * timeScale * Math.exp(rng.normal(0, 0.2)));
  if (rng.chance(failP)) {
    return { ok: false, durationMs: Math.round(full * rng.uniform(0.2, 0.95)), line: rng.pick(profile.failureLines) };
  }
  const rebootMs = Math.max(100, profile.rebootSeconds * 1000 * timeScale * rng.uniform(0.8, 1.25));
  return { ok: true, durationMs: Math.round(full), rebootMs: Math.round(rebootMs) };
}
