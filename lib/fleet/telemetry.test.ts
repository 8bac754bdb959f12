import { describe, expect, it } from "vitest";
import { MODELS } from "@/db/seed/demo";
import { GENERIC_PROFILE, modelKeyOf, PROFILES, profileFor } from "./profiles";
import { createRng } from "@/lib/random";
import { factorsFor, initialHealth, takeSample, type TelemetrySample } from "./telemetry";

/** A day of samples every minute with the device alternating between in use and idle every 30 min. */
function day(key: string, factors = {}, seed = 1): TelemetrySample[] {
  const profile = profileFor(key);
  const rng = createRng(seed);
  const state = initialHealth(profile, rng);
  const t0 = Date.parse("2026-11-23T00:00:00Z");
  return Array.from({ length: 1440 }, (_, i) =>
    takeSample(profile, state, { at: new Date(t0 + i * 60_000), dtS: 60, inUse: Math.floor(i / 30) % 2 === 0, firmwareVersion: "1.0", factors, rng }),
  );
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("profiles", () => {
  it("cover every demo model, with the seed's install time", () => {
    for (const m of MODELS) {
      expect(PROFILES[m.key], m.key).toBeDefined();
      expect(PROFILES[m.key]!.installMinutes, m.key).toBe(m.updateMinutes);
      expect(PROFILES[m.key]!.battery.kind === "none", m.key).toBe(m.minBatteryPct === 0);
    }
  });

  it("map controller ids to model keys", () => {
    expect(modelKeyOf("MFP4-100001")).toBe("MFP4");
    expect(modelKeyOf("dev01")).toBe("dev01");
    expect(modelKeyOf("X-1", "MSS2")).toBe("MSS2");
    expect(profileFor("ZZZ")).toBe(GENERIC_PROFILE);
  });
});

describe("telemetry generator", () => {
  it("stays inside the server's accepted ranges and the device type's plausible ones, for every model", () => {
    for (const key of [...Object.keys(PROFILES), "UNKNOWN"]) {
      const p = profileFor(key);
      for (const s of day(key)) {
        if (p.battery.kind === "none") expect(s.batteryPct).toBeUndefined();
        else {
          expect(s.batteryPct!).toBeGreaterThanOrEqual(0);
          expect(s.batteryPct!).toBeLessThanOrEqual(100);
        }
        expect(s.powerDrawW!).toBeGreaterThanOrEqual(Math.min(p.powerW.idle[0], p.powerW.inUse[0]));
        expect(s.powerDrawW!).toBeLessThanOrEqual(Math.max(p.powerW.idle[1], p.powerW.inUse[1]));
        if (p.drift.limit > 0) expect(Math.abs(s.sensorDrift!)).toBeLessThanOrEqual(p.drift.limit * 1.5);
        expect(Number.isInteger(s.alarmCount) && s.alarmCount >= 0).toBe(true);
        expect(Number.isInteger(s.reboots) && s.reboots >= 0).toBe(true);
        expect(s.errorCodes === undefined || s.errorCodes.every((c) => p.errorCodes.includes(c))).toBe(true);
        expect(Number.isNaN(Date.parse(s.takenAt))).toBe(false);
      }
    }
  });

  it("draws more power and raises more alarms in use than idle", () => {
    const samples = day("HVV7");
    const inUse = samples.filter((s) => s.inClinicalUse);
    const idle = samples.filter((s) => !s.inClinicalUse);
    expect(mean(inUse.map((s) => s.powerDrawW!))).toBeGreaterThan(mean(idle.map((s) => s.powerDrawW!)) * 1.5);
    const perHour = (xs: TelemetrySample[]) => xs.reduce((a, s) => a + s.alarmCount, 0) / (xs.length / 60);
    expect(perHour(inUse)).toBeGreaterThan(3);
    expect(perHour(idle)).toBe(0);
  });

  it("drains a portable battery in use and charges it docked; swaps a transmitter's when low", () => {
    const pump = day("MFP4");
    const deltas = pump.slice(1).map((s, i) => ({ inUse: s.inClinicalUse, d: s.batteryPct! - pump[i]!.batteryPct! }));
    expect(mean(deltas.filter((x) => x.inUse).map((x) => x.d))).toBeLessThan(0);
    expect(mean(deltas.filter((x) => !x.inUse && pump[0]!.batteryPct! < 99).map((x) => x.d))).toBeGreaterThanOrEqual(0);
    // Transmitter: about 0.7 %/h on average → a week of samples must include a swap back to ≥ 95 %.
    const profile = profileFor("ATT4");
    const rng = createRng(5);
    const state = initialHealth(profile, rng);
    state.battery = 12;
    const week = Array.from({ length: 7 * 24 }, (_, i) => takeSample(profile, state, { at: new Date(i * 3_600_000), dtS: 3600, inUse: true, firmwareVersion: null, factors: {}, rng }));
    expect(week.some((s) => s.batteryPct! >= 95)).toBe(true);
    expect(week.every((s) => s.batteryPct! >= 0)).toBe(true);
    expect(week[0]!.firmwareVersion).toBeUndefined();
  });

  it("counts a pending reboot (after an update) once", () => {
    const profile = profileFor("BLCT");
    const rng = createRng(3);
    const state = initialHealth(profile, rng);
    state.pendingReboots = 1;
    const o = { at: new Date(), dtS: 1, inUse: false, firmwareVersion: null, factors: {}, rng };
    expect(takeSample(profile, state, o).reboots).toBe(1);
    expect(takeSample(profile, state, o).reboots).toBe(0);
  });

  it("makes updated devices worse only where --regress says so", () => {
    const regress = [
      { model: "MFP4", version: null, metric: "powerDrawW" as const, factor: 2 },
      { model: "MFP4", version: "5.0", metric: "alarmCount" as const, factor: 10 },
      { model: "NVX3", version: null, metric: "sensorDrift" as const, factor: 3 },
    ];
    expect(factorsFor(regress, "MFP4", "4.9", false)).toEqual({});
    expect(factorsFor(regress, "MFP4", "4.9", true)).toEqual({ powerDrawW: 2 });
    expect(factorsFor(regress, "MFP4", "5.0", true)).toEqual({ powerDrawW: 2, alarmCount: 10 });
    expect(factorsFor(regress, "HVV7", "5.0", true)).toEqual({});
    const base = day("MFP4", {}, 9);
    const worse = day("MFP4", { powerDrawW: 2, alarmCount: 10, batteryPct: 3, reboots: 500 }, 9);
    expect(mean(worse.map((s) => s.powerDrawW!)) / mean(base.map((s) => s.powerDrawW!))).toBeCloseTo(2, 0);
    expect(worse.reduce((a, s) => a + s.alarmCount, 0)).toBeGreaterThan(base.reduce((a, s) => a + s.alarmCount, 0) * 4);
    expect(mean(worse.map((s) => s.batteryPct!))).toBeLessThan(mean(base.map((s) => s.batteryPct!)));
    expect(worse.reduce((a, s) => a + s.reboots, 0)).toBeGreaterThan(0);
    // Even absurd factors stay inside what the server accepts.
    for (const s of day("BLCT", { powerDrawW: 1000 })) expect(s.powerDrawW!).toBeLessThanOrEqual(10_000);
  });
});
