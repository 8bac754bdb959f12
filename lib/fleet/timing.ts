import type { Rng } from "@/lib/random";

// Poll timing, as SWUpdate does it plus a little of each device's own jitter: the server's
// config.polling.sleep after every good poll, a retry with back-off after a failed one.

/** Parses hawkBit's `HH:MM:SS` polling interval; null when absent or malformed (SWUpdate rejects those too). */
export function parseSleep(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const m = /^(\d{1,2}):([0-5]\d):([0-5]\d)$/.exec(value);
  if (!m) return null;
  const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  // SWUpdate treats 00:00:00 as "use the default" (45 s).
  return seconds === 0 ? 45 : seconds;
}

/** `seconds` spread uniformly by ±`fraction`, never below 100 ms. Returned in milliseconds. */
export function jitteredMs(seconds: number, fraction: number, rng: Rng): number {
  const f = Math.max(0, Math.min(0.9, fraction));
  return Math.max(100, Math.round(seconds * 1000 * (1 + rng.uniform(-f, f))));
}

/**
 * Delay before the next poll after `failures` failed polls in a row (failures ≥ 1): the interval doubled
 * per failure, capped at 16 × the interval (at least 5 minutes), with "equal jitter" (half fixed, half
 * random) so a fleet that lost its server does not come back in lockstep.
 */
export function backoffMs(intervalSeconds: number, failures: number, rng: Rng): number {
  const base = Math.max(1, intervalSeconds) * 1000;
  const cap = Math.max(base * 16, 300_000);
  const d = Math.min(cap, base * 2 ** Math.min(20, Math.max(0, failures - 1)));
  return Math.round(d / 2 + rng.next() * (d / 2));
}

/** Start offsets that spread N devices' first polls over `rampSeconds` (evenly, with a little noise). */
export function rampOffsetMs(index: number, count: number, rampSeconds: number, rng: Rng): number {
  if (count <= 1 || rampSeconds <= 0) return 0;
  const slot = (rampSeconds * 1000) / count;
  return Math.round(index * slot + rng.next() * slot);
}

/** Default ramp: about 50 first polls a second, between 1 s and 60 s. */
export const defaultRampSeconds = (devices: number) => Math.min(60, Math.max(1, Math.ceil(devices / 50)));
