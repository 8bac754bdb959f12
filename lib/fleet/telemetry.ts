import type { Metric, Regression } from "./options";
import type { ModelProfile } from "./profiles";
import type { Rng } from "@/lib/random";

// Plausible health telemetry per device type. One sample covers the interval since the previous one:
// batteryPct, sensorDrift (% of full scale) and powerDrawW are readings at `takenAt`; alarmCount and
// reboots are counts during the interval. Values always stay inside what the server accepts.

export type TelemetrySample = {
  takenAt: string;
  batteryPct?: number;
  sensorDrift?: number;
  powerDrawW?: number;
  alarmCount: number;
  reboots: number;
  errorCodes?: string[];
  inClinicalUse: boolean;
  firmwareVersion?: string;
};

export type HealthState = { battery: number | null; drift: number; pendingReboots: number };

/** Factor per metric; missing = 1. */
export type Factors = Partial<Record<Metric, number>>;

const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v));
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

export function initialHealth(profile: ModelProfile, rng: Rng): HealthState {
  const battery = profile.battery.kind === "portable" ? rng.uniform(40, 100) : profile.battery.kind === "backup" ? rng.uniform(96, 100) : null;
  const limit = profile.drift.limit;
  return { battery, drift: limit > 0 ? clamp(rng.normal(0, limit / 4), -limit, limit) : 0, pendingReboots: 0 };
}

/**
 * The factors that apply to a device: those of its model (and, when given, its running version),
 * only once the fleet has updated it.
 */
export function factorsFor(regressions: readonly Regression[], model: string, version: string | null, updated: boolean): Factors {
  const out: Factors = {};
  if (!updated) return out;
  for (const r of regressions) {
    if (r.model !== model || (r.version !== null && r.version !== version)) continue;
    out[r.metric] = (out[r.metric] ?? 1) * r.factor;
  }
  return out;
}

export function takeSample(
  profile: ModelProfile,
  state: HealthState,
  o: { at: Date; dtS: number; inUse: boolean; firmwareVersion: string | null; factors: Factors; rng: Rng },
): TelemetrySample {
  const { rng, inUse } = o;
  const f = (m: Metric) => o.factors[m] ?? 1;
  const h = Math.max(0, o.dtS) / 3600;

  const b = profile.battery;
  if (state.battery !== null) {
    if (b.kind === "portable") {
      if (inUse) state.battery -= b.drainPerHourInUse * h * f("batteryPct") * rng.uniform(0.8, 1.2);
      else if (b.chargePerHourIdle > 0) state.battery += b.chargePerHourIdle * h * rng.uniform(0.8, 1.2) - (f("batteryPct") - 1) * b.drainPerHourIdle * h;
      else state.battery -= b.drainPerHourIdle * h * f("batteryPct") * rng.uniform(0.8, 1.2);
      if (b.swapBelow !== undefined && state.battery < b.swapBelow) state.battery = rng.uniform(95, 100); // fresh battery
    } else {
      // Backup battery: kept topped up by the mains; a worse one sags below full.
      const target = 100 - Math.min(40, 4 * (f("batteryPct") - 1));
      state.battery += (target - state.battery) * Math.min(1, h * 4) + rng.normal(0, 0.2);
    }
    state.battery = clamp(state.battery, 0, 100);
  }

  if (profile.drift.limit > 0) {
    state.drift += rng.normal(0, profile.drift.stepPerHour * Math.sqrt(h));
    // Past the calibration limit the device recalibrates (most of the drift goes away).
    if (Math.abs(state.drift) > profile.drift.limit) state.drift *= 0.3;
  }

  const [lo, hi] = inUse ? profile.powerW.inUse : profile.powerW.idle;
  const reboots = state.pendingReboots + rng.poisson((profile.rebootsPerDay / 24) * h * f("reboots"));
  state.pendingReboots = 0;
  const codes: string[] = [];
  for (let n = Math.min(50, rng.poisson(profile.errorCodesPerHour * h)); n > 0; n--) codes.push(rng.pick(profile.errorCodes));

  const sample: TelemetrySample = {
    takenAt: o.at.toISOString(),
    alarmCount: clamp(rng.poisson((inUse ? profile.alarmsPerHour.inUse : profile.alarmsPerHour.idle) * h * f("alarmCount")), 0, 100_000),
    reboots: clamp(reboots, 0, 10_000),
    inClinicalUse: inUse,
  };
  if (state.battery !== null) sample.batteryPct = round(state.battery, 1);
  if (profile.drift.limit > 0) sample.sensorDrift = round(clamp(state.drift * f("sensorDrift"), -1000, 1000), 3);
  sample.powerDrawW = round(clamp(rng.uniform(lo, hi) * f("powerDrawW"), 0, 10_000), 2);
  if (codes.length) sample.errorCodes = codes;
  if (o.firmwareVersion) sample.firmwareVersion = o.firmwareVersion;
  return sample;
}
